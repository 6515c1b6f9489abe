import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { reports, results } from '../../src/db/schema.ts';
import { freePort, runCli, startServe, waitExit } from '../helpers/process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bb-crash-'));
const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' };
const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-unreadable-file.log'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a kill -9 of the server (embedded database)', () => {
  it('loses no acknowledged upload, and a half-sent one does not count', async () => {
    const port = await freePort();
    let serve = await startServe(env, port);

    // The CLI works while serve owns the embedded database: it goes through serve.
    expect((await runCli(['customer', 'add', 'Acorn'], env)).code).toBe(0);
    const added = await runCli(['server', 'add', 'Acorn', 'fs01', '--json'], env);
    expect(added.code).toBe(0);
    const { token } = JSON.parse(added.stdout) as { token: string };

    const res = await fetch(`http://127.0.0.1:${port}/api/v1/reports`, {
      method: 'POST',
      body: log,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(201);
    const { reportId } = (await res.json()) as { reportId: number };

    // Start a second upload, send half of it, and kill the server mid-body.
    const half = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/reports', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } });
    half.on('error', () => {});
    half.write(Buffer.alloc(1500 * 1024, 0x61));
    await new Promise((r) => setTimeout(r, 500));
    serve.kill('SIGKILL');
    await waitExit(serve);

    // A restart takes over the dead process's lock and serves the same data.
    serve = await startServe(env, port);
    const status = await runCli(['status', 'fs01', '--json'], env);
    expect(status.code).toBe(0);
    const latest = (JSON.parse(status.stdout) as { latest: { reportId: number; code: number; status: string } }).latest;
    expect(latest).toMatchObject({ reportId, code: 23, status: 'failed' });
    serve.kill('SIGTERM');
    await waitExit(serve);

    const database = await openDatabase({ dataDir });
    try {
      const stored = await database.db.select().from(reports);
      expect(stored.filter((r) => r.state === 'stored').map((r) => r.id)).toEqual([reportId]);
      const rows = await database.db.select().from(results);
      expect(rows.map((r) => r.reportId)).toEqual([reportId]);
    } finally {
      await database.close();
    }
  }, 120_000);
});
