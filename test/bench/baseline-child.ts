/**
 * The ingest bench's baseline: the simplest lossless upload server over the same database,
 * run as its own process. For each POST it reads the whole body, hashes the bearer token the
 * way backupbot does, and stores the raw bytes with a fixed verdict row in ONE autocommit
 * statement (server look-up, report, chunk and result together), answering 201 after it
 * commits. No parsing, no retry check, no suspicion: what any lossless ingest must at least
 * pay. It uses postgres.js with the pool size backupbot gets, so the comparison is the code
 * around the database, not the driver or the pool.
 *
 * argv[2]: JSON {"url": DATABASE_URL, "max": pool size}. Prints {"port": N} once listening.
 * GET /cpu answers this process's CPU time (ms), for the bench's CPU rows.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import postgres from 'postgres';
import { selfCpuMs } from './cpu.ts';

export interface BaselineConfig {
  url: string;
  max: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as BaselineConfig;
const sql = postgres(cfg.url, { max: cfg.max, onnotice: () => {}, connect_timeout: 2, connection: { statement_timeout: 15_000 } });

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/cpu') {
    res.end(JSON.stringify({ cpuMs: selfCpuMs() }));
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const tokenHash = createHash('sha256').update(token, 'utf8').digest('hex');
    sql`
      with s as (select id from servers where token_hash = ${tokenHash}),
      r as (
        insert into reports (server_id, state, format, size)
        select id, 'stored', 'auto', ${body.length} from s
        returning id, server_id, received_at
      ), c as (
        insert into report_chunks (report_id, seq, data) select id, 0, ${body} from r
      ), v as (
        insert into results (report_id, server_id, parser_version, format, code, status, meaning, completed, backup_at)
        select id, server_id, 'baseline', 'unknown', -2, 'incomplete', 'not parsed (bench baseline)', false, received_at from r
      )
      select id from r`.then(
      (rows) => {
        const id = rows[0]?.id;
        const text = id === undefined ? '{"error":"unauthorized"}' : JSON.stringify({ reportId: Number(id) });
        res.writeHead(id === undefined ? 401 : 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      (err: Error) => {
        const text = JSON.stringify({ error: err.message });
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    );
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
const stop = () => {
  server.close();
  void sql.end({ timeout: 1 }).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
