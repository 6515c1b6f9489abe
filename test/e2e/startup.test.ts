import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync, lstatSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { sql } from 'drizzle-orm';
import { startSlackStandIn } from '../helpers/slack-standin.ts';
import { pgliteDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { freePort, runCli, spawnServe, startServe, waitExit } from '../helpers/process.ts';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every file and directory under `dir` with a mode other users can use. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) found.push(`${(st.mode & 0o777).toString(8)} ${path}`);
    if (st.isDirectory()) for (const e of readdirSync(path)) walk(join(path, e));
  };
  walk(dir);
  return found;
}

/** A start-up failure is one line on stderr that names the setting, exit 2, no stack trace. */
function expectOneLine(r: { code: number; stderr: string }, setting: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^backupbot: /);
  expect(lines[0]).toMatch(setting);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('E: DATA_DIR is private to the service user', () => {
  it('leaves no file or directory under DATA_DIR open to other users, and the CLI socket 0600', async () => {
    const dataDir = tempDir('bb-perm-');
    // A DATA_DIR left world-readable by an older version is put right at start.
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'left-over.txt'), 'x', { mode: 0o666 });
    chmodSync(join(dataDir, 'left-over.txt'), 0o666);
    const port = await freePort();
    const serve = await startServe({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' }, port);
    try {
      expect((await runCli(['customer', 'add', 'Acorn'], { DATA_DIR: dataDir, DATABASE_URL: '' })).code).toBe(0);
      const added = await runCli(['server', 'add', 'Acorn', 'fs01', '--json'], { DATA_DIR: dataDir, DATABASE_URL: '' });
      const { token } = JSON.parse(added.stdout) as { token: string };
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/reports`, { method: 'POST', body: 'hello', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(201);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, 'backupbot.sock')).mode & 0o777).toBe(0o600);
    } finally {
      serve.kill('SIGTERM');
      await waitExit(serve);
    }
    // PGlite creates its files 0666; after a run every one of them is the owner's alone.
    expect(openToOthers(dataDir)).toEqual([]);
    // Read-only commands keep it that way too.
    expect((await runCli(['status'], { DATA_DIR: dataDir, DATABASE_URL: '' })).code).toBe(0);
    expect(openToOthers(dataDir)).toEqual([]);
  }, 90_000);

  it('refuses to start with a DATA_DIR owned by another user, naming DATA_DIR', async () => {
    if (process.getuid?.() !== 0) {
      // Without root nobody can hand a directory to another user; an unusable path makes the same point.
      const r = await runCli(['serve'], { DATA_DIR: '/proc/1/nope', DATABASE_URL: '', PORT: '0' });
      expectOneLine(r, /DATA_DIR/);
      return;
    }
    const dataDir = tempDir('bb-owner-');
    execFileSync('chown', ['65534:65534', dataDir]);
    const r = await runCli(['serve'], { DATA_DIR: dataDir, DATABASE_URL: '', PORT: '0' });
    expectOneLine(r, /DATA_DIR .* belongs to uid 65534/);
  });
});

describe('start-up failures: one line naming the setting, exit 2', () => {
  it('names DATABASE_URL when the database cannot be reached', async () => {
    const port = await freePort();
    const r = await runCli(['serve'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nothing`, PORT: '0', DB_CONNECT_TIMEOUT_MS: '1000' });
    expectOneLine(r, /Cannot use the database at postgres@127\.0\.0\.1:\d+\/nothing: .*ECONNREFUSED.*Check DATABASE_URL/);
  });

  it('names DATABASE_URL when the database does not exist', async () => {
    const r = await runCli(['serve'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bb_no_such_database', PORT: '0' });
    expectOneLine(r, /bb_no_such_database.*does not exist.*DATABASE_URL/);
  });

  it('names PORT when the port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const r = await runCli(['serve'], { DATA_DIR: tempDir('bb-port-'), DATABASE_URL: '', PORT: String(port), HOST: '127.0.0.1' });
      expectOneLine(r, /Port \d+ .* already in use.*PORT/);
    } finally {
      blocker.close();
    }
  });

  it('names DATA_DIR when it cannot be created', async () => {
    const file = join(tempDir('bb-file-'), 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await runCli(['serve'], { DATA_DIR: join(file, 'data'), DATABASE_URL: '', PORT: '0' });
    expectOneLine(r, /DATA_DIR .*a-file\/data cannot be used/);
  });
});

describe('read-only commands never change the schema', () => {
  it('says to run migrate on an empty database instead of creating tables', async () => {
    const dataDir = tempDir('bb-ro-');
    const r = await runCli(['status'], { DATA_DIR: dataDir, DATABASE_URL: '' });
    expectOneLine(r, /run "backupbot migrate"/);
    const list = await runCli(['server', 'list'], { DATA_DIR: dataDir, DATABASE_URL: '' });
    expect(list.code).toBe(2);
    const database = await openDatabase({ dataDir });
    try {
      const tables = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from pg_tables where schemaname = 'public'`));
      expect(tables[0]!.n).toBe(0);
    } finally {
      await database.close();
    }
    expect((await runCli(['migrate'], { DATA_DIR: dataDir, DATABASE_URL: '' })).code).toBe(0);
    expect((await runCli(['status'], { DATA_DIR: dataDir, DATABASE_URL: '' })).code).toBe(0);
  }, 60_000);
});

describe('a wrong Slack token at start', () => {
  it('keeps the upload API running and logs one line with the fix', async () => {
    const slack = await startSlackStandIn({ token: 'xoxb-the-right-one' });
    const dataDir = tempDir('bb-slack-');
    const env = { DATA_DIR: dataDir, DATABASE_URL: '', SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: slack.url };
    const serve = await spawnServe(env);
    try {
      expect((await runCli(['customer', 'add', 'Acorn'], env)).code).toBe(0);
      const added = await runCli(['server', 'add', 'Acorn', 'fs01', '--json'], env);
      const { token } = JSON.parse(added.stdout) as { token: string };
      const res = await fetch(`${serve.url}/api/v1/reports`, { method: 'POST', body: 'hello', headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(201);
      expect(serve.child.exitCode).toBeNull();
      expect(slack.callsTo('auth.test').length).toBeGreaterThan(0);
    } finally {
      serve.child.kill('SIGTERM');
      await waitExit(serve.child);
      await slack.close();
    }
    const complaints = serve.stderr().split('\n').filter((l) => l.includes('Slack refused to start'));
    expect(complaints, serve.stderr()).toHaveLength(1);
    expect(complaints[0]).toMatch(/invalid_auth.*uploads keep working.*Check SLACK_BOT_TOKEN/);
  }, 60_000);

  it('brings the Slack features up once Slack accepts the token, without a restart', async () => {
    const slack = await startSlackStandIn();
    // Slack refuses the first auth.test (a token being fixed, an outage), then accepts.
    slack.failNext('auth.test', { error: 'invalid_auth' }, 1);
    const t = await pgliteDb();
    const svc = await startTestService(t.database, { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: slack.url });
    try {
      const command = () => {
        const body = slashCommandBody({ text: 'help', response_url: slack.responseUrl('help') });
        return fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest('secret', body) });
      };
      const early = await command();
      expect(early.status).toBe(503);
      const deadline = Date.now() + 15_000;
      let answer = early;
      while (answer.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        answer = await command();
      }
      expect(answer.status).toBe(200);
      expect(slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(2);
    } finally {
      await svc.stop();
      await t.dispose();
      await slack.close();
    }
  }, 30_000);
});

