import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';

/**
 * While `serve` owns the embedded database, other CLI invocations cannot open it. Instead
 * they send their arguments over this Unix socket (mode 0600: same user only) and the
 * server runs the command in-process against its own connection.
 */
export interface CliReply {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type CliRunner = (argv: string[]) => Promise<CliReply>;

const MAX_REQUEST = 1024 * 1024;

export async function listenCliSocket(path: string, run: CliRunner): Promise<Server> {
  if (existsSync(path)) rmSync(path);
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > MAX_REQUEST) req.destroy();
    });
    req.on('end', () => {
      void (async () => {
        let reply: CliReply;
        try {
          const { argv } = JSON.parse(body) as { argv: unknown };
          if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new Error('argv must be a list of strings');
          reply = await run(argv);
        } catch (err) {
          reply = { exitCode: 2, stdout: '', stderr: `backupbot: ${(err as Error).message}\n` };
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, readableAll: false, writableAll: false }, () => resolve());
  });
  // readableAll/writableAll only ever widen the mode; the umask decides the rest. Anyone who
  // can write to this socket runs commands as the service, so make it owner-only explicitly.
  chmodSync(path, 0o600);
  return server;
}

export function sendToCliSocket(path: string, argv: string[]): Promise<CliReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: path, path: '/cli', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as CliReply);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ argv }));
  });
}
