import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { reports } from '../../src/db/schema.ts';
import type { Service } from '../../src/main.ts';
import { readRaw } from '../../src/reports/raw.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { startFreezableProxy, startPrivatePostgres, type FreezableProxy, type PrivatePostgres } from '../helpers/private-pg.ts';
import { spawnServe, waitExit } from '../helpers/process.ts';
import { until } from '../helpers/until.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (tag: string) =>
  Buffer.from(`sending incremental file list\n${tag}/file.txt\nsent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 1,234  speedup is 0.02\n`);

interface Attempt {
  status: number | 'no answer';
  ms: number;
  at: number;
  reportId?: number;
  body: Buffer;
}

async function post(url: string, token: string, body: Buffer, timeoutMs = 15_000): Promise<Attempt> {
  const at = Date.now();
  try {
    const res = await fetch(`${url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const json = (await res.json()) as { reportId?: number };
    return { status: res.status, ms: Date.now() - at, at, body, ...(json.reportId ? { reportId: json.reportId } : {}) };
  } catch {
    return { status: 'no answer', ms: Date.now() - at, at, body };
  }
}

/** Every acknowledged upload is in the database, byte for byte. */
async function lostUploads(database: Database, acked: Attempt[]): Promise<number> {
  let lost = 0;
  for (const a of acked) {
    const [row] = await database.db.select().from(reports).where(eq(reports.id, a.reportId!));
    const parts: Buffer[] = [];
    if (row) for await (const c of readRaw(database.db, row.id)) parts.push(c);
    if (!row || row.state !== 'stored' || row.sha256 !== sha(a.body) || !Buffer.concat(parts).equals(a.body)) lost++;
  }
  return lost;
}

const serve = (env: Record<string, string>) => spawnServe(env, '/readyz');

describe('a private Postgres stopped and started under load', () => {
  let pg: PrivatePostgres;
  let server: Awaited<ReturnType<typeof serve>>;
  let token: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const database = await openDatabase({ url: pg.url, max: 2 });
    await database.migrate();
    token = (await seedServer(database)).token;
    await database.close();
    server = await serve({ DATABASE_URL: pg.url, DB_HEALTH_INTERVAL_MS: '200', UPLOAD_MAX_PER_TOKEN: '100', DB_STATEMENT_TIMEOUT_MS: '5000' });
  }, 60_000);
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await waitExit(server.child);
    }
    await pg?.dispose();
  });

  it('answers every request, loses no acknowledged upload, and says 503 within 2 s of the stop', async () => {
    const attempts: Attempt[] = [];
    let running = true;
    let n = 0;
    const worker = async (w: number) => {
      while (running) attempts.push(await post(server.url, token, log(`w${w}-${n++}`)));
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(1500);
    const stoppedAt = Date.now();
    await pg.stop('fast');
    const stopMs = Date.now() - stoppedAt;
    // A fresh upload while the database is gone.
    const probe = await post(server.url, token, log('probe-during-outage'));
    await sleep(2000);
    const restartAt = Date.now();
    await pg.start();
    // Recovery is judged by an acknowledged upload, not by a fixed wait: on a loaded machine the
    // restarted server's first transactions can take seconds, and the uploads keep coming meanwhile.
    const firstAck = await until(
      'an upload acknowledged after the restart',
      () => attempts.find((a) => a.at >= restartAt && (a.status === 201 || a.status === 200)),
      30_000,
    ).catch(() => undefined);
    await sleep(500);
    running = false;
    await Promise.all(workers);

    const database = await openDatabase({ url: pg.url, max: 2 });
    let lost: number;
    const acked = attempts.filter((a) => a.status === 201 || a.status === 200);
    try {
      lost = await lostUploads(database, acked);
    } finally {
      await database.close();
    }
    const after = attempts.filter((a) => a.at + a.ms >= stoppedAt);
    const first503 = after.filter((a) => a.status === 503).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
    const unanswered = attempts.filter((a) => a.status === 'no answer').length;
    const ackedAfterRestart = acked.filter((a) => a.at >= restartAt).length;
    const byStatus = Object.fromEntries([...new Set(attempts.map((a) => a.status))].map((s) => [s, attempts.filter((a) => a.status === s).length]));
    console.log(
      `[outage] private Postgres stopped under load (8 clients): ${attempts.length} requests, by status ${JSON.stringify(byStatus)}; ` +
        `unanswered ${unanswered}; acknowledged ${acked.length}, lost ${lost}; pg_ctl stop took ${stopMs} ms; ` +
        `first 503 ${first503 ? first503.at + first503.ms - stoppedAt : 'none'} ms after the stop began; probe during outage ${probe.status} in ${probe.ms} ms; ` +
        `acknowledged after restart ${ackedAfterRestart}, the first ${firstAck ? firstAck.at + firstAck.ms - restartAt : 'never'} ms after pg_ctl start began; slowest answer ${Math.max(...attempts.map((a) => a.ms))} ms; serve still running: ${server.child.exitCode === null}`,
    );
    expect(server.child.exitCode, server.stderr()).toBeNull();
    expect(unanswered).toBe(0);
    expect(lost).toBe(0);
    expect(probe.status).toBe(503);
    expect(probe.ms).toBeLessThan(2000);
    expect(attempts.filter((a) => a.status !== 201 && a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(ackedAfterRestart).toBeGreaterThan(0);
  }, 90_000);
});

describe('a database that stops answering (frozen connection)', () => {
  let t: TestDb;
  let proxy: FreezableProxy;
  let database: Database;
  let svc: Service;
  let token: string;

  beforeAll(async () => {
    t = await postgresDb();
    const url = new URL(t.url!);
    proxy = await startFreezableProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    database = await openDatabase({ url: url.toString(), max: 5, connectTimeoutMs: 1000, statementTimeoutMs: 10_000 });
    svc = await startTestService(database, { DB_HEALTH_INTERVAL_MS: '200' });
    token = (await seedServer(database)).token;
  });
  afterAll(async () => {
    proxy?.thaw();
    await svc?.stop();
    await database?.close();
    await proxy?.close();
    await t?.dispose();
  });

  it('answers uploads 503 within 2 s, /healthz within 1 s and /readyz 503, then recovers', async () => {
    expect((await post(svc.url, token, log('before-freeze'))).status).toBe(201);
    // One upload already waiting on the database when it freezes, one sent after.
    proxy.freeze();
    const inFlight = post(svc.url, token, log('in-flight'));
    await sleep(100);
    const fresh = await post(svc.url, token, log('after-freeze'));
    const healthAt = Date.now();
    const health = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(3000) });
    const healthMs = Date.now() - healthAt;
    const healthBody = (await health.json()) as { database: { status: string } };
    const ready = await fetch(`${svc.url}/readyz`, { signal: AbortSignal.timeout(3000) });
    const hung = await inFlight;
    console.log(
      `[hang] frozen database: in-flight upload ${hung.status} after ${hung.ms} ms, new upload ${fresh.status} after ${fresh.ms} ms, ` +
        `/healthz ${health.status} (${healthBody.database.status}) in ${healthMs} ms, /readyz ${ready.status}`,
    );
    expect(hung.status).toBe(503);
    expect(hung.ms).toBeLessThan(2000);
    expect(fresh.status).toBe(503);
    expect(fresh.ms).toBeLessThan(2000);
    expect(health.status).toBe(200);
    expect(healthBody.database.status).toBe('down');
    expect(healthMs).toBeLessThan(1000);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBeTruthy();

    proxy.thaw();
    const deadline = Date.now() + 10_000;
    while ((await fetch(`${svc.url}/readyz`)).status !== 200 && Date.now() < deadline) await sleep(100);
    // The in-flight upload's retry is answered with the report it stored once the database came back, or stored now.
    const retry = await post(svc.url, token, log('in-flight'));
    expect([200, 201]).toContain(retry.status);
    expect((await post(svc.url, token, log('after-thaw'))).status).toBe(201);
  }, 60_000);

  it('stops within 10 s on SIGTERM while the database does not answer', async () => {
    const url = new URL(t.url!);
    url.port = String(proxy.port);
    const { child, url: base, stderr } = await serve({ DATABASE_URL: url.toString(), DB_HEALTH_INTERVAL_MS: '200' });
    proxy.freeze();
    const pending = post(base, token, log('during-sigterm'));
    await sleep(300);
    const at = Date.now();
    child.kill('SIGTERM');
    await waitExit(child);
    const ms = Date.now() - at;
    const answer = await pending;
    proxy.thaw();
    console.log(`[sigterm] frozen database: serve exited ${ms} ms after SIGTERM (code ${child.exitCode}); the pending upload got ${answer.status}`);
    expect(ms, stderr()).toBeLessThan(10_000);
    expect(child.exitCode, stderr()).toBe(0);
    expect(answer.status).not.toBe('no answer');
  }, 60_000);
});
