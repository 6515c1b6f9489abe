import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileErrors, reportChunks, reports, results } from '../../src/db/schema.ts';
import type { Service } from '../../src/main.ts';
import { readRaw } from '../../src/reports/raw.ts';
import { fleetStatus } from '../../src/reports/status.ts';
import { sweepAbortedUploads } from '../../src/reports/recover.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/rsync');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.log`));
const MIN = 60_000;

interface Reply {
  reportId: number;
  resultId: number;
  code: number;
  status: string;
  duplicate: boolean;
  error: { code: string; message: string };
}

/** A code-23 log made unique by `tag`, so tests do not see each other's uploads as retries. */
const failing = (tag: string) =>
  Buffer.from(
    `sending incremental file list\nrsync: [sender] send_files failed to open "/srv/${tag}/locked.pst": Permission denied (13)\n` +
      'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 1,234  speedup is 0.02\n' +
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]\n',
  );

const iso = (ms: number) => new Date(ms).toISOString();
const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe.each(DATABASES)('upload hardening on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let token: string;
  let serverId: number;

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, {
      UPLOAD_STALL_SECONDS: '1',
      UPLOAD_MAX_PER_TOKEN: '24',
      HTTP_KEEPALIVE_SECONDS: '1',
    });
    const seeded = await seedServer(t.database);
    token = seeded.token;
    serverId = seeded.server.id;
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  const upload = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${svc.url}/api/v1/reports`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, ...headers },
      // A request that gets no answer fails the test instead of hanging it.
      signal: AbortSignal.timeout(10_000),
    });
  const json = async (res: Response) => (await res.json()) as Reply;
  const rawOf = async (reportId: number) => {
    const parts: Buffer[] = [];
    for await (const c of readRaw(t.database.db, reportId)) parts.push(c);
    return Buffer.concat(parts);
  };

  describe('A: every request gets one answer', () => {
    it('answers a database failure after the body is in with a JSON 500, and keeps the bytes', async () => {
      const { db } = t.database;
      await db.execute(sql`alter table results rename to results_away`);
      try {
        const log = failing('a-500');
        const res = await upload(log);
        expect(res.status).toBe(500);
        expect((await json(res)).error.message).toMatch(/could not handle this request/);
        // The raw bytes went in before the verdict failed: nothing the client sent is lost.
        const kept = await db.select().from(reports).where(eq(reports.sha256, sha(log)));
        expect(kept).toHaveLength(1);
        expect((await rawOf(kept[0]!.id)).equals(log)).toBe(true);
      } finally {
        await db.execute(sql`alter table results_away rename to results`);
      }
    });

    it('refuses a time JavaScript accepts and Postgres does not with 400, not silence', async () => {
      const res = await upload(failing('a-year'), { 'x-started-at': '+275760-09-13T00:00:00.000Z' });
      expect(res.status).toBe(400);
      expect((await json(res)).error.message).toMatch(/X-Started-At must be an ISO 8601 time with a time zone/);
    });
  });

  describe('B: no byte sequence blocks storage', () => {
    it('stores a log with NUL bytes, invalid UTF-8 and a lone surrogate in its error lines', async () => {
      const log = Buffer.concat([
        Buffer.from('sending incremental file list\nrsync: [sender] send_files failed to open "/srv/b/a'),
        Buffer.from([0x00, 0xff, 0xfe, 0xc3]),
        Buffer.from('b.txt": Permission denied (13)\nrsync: connection unexpectedly closed \u0000 (0 bytes received so far) [sender]\n'),
        Buffer.from('rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]\n'),
      ]);
      const res = await upload(log);
      expect(res.status).toBe(201);
      const body = await json(res);
      expect((await rawOf(body.reportId)).equals(log)).toBe(true);
      const errs = await t.database.db.select().from(fileErrors).where(eq(fileErrors.resultId, body.resultId));
      expect(errs.length).toBeGreaterThan(0);
      for (const e of errs) expect(e.path).not.toContain('\u0000');
      const [result] = await t.database.db.select().from(results).where(eq(results.id, body.resultId));
      expect(JSON.stringify(result!.messages)).not.toContain('\\u0000');
    });
  });

  describe('B: a verdict the database refuses costs the verdict, never the bytes', () => {
    it('stores the raw report and a -2 that says why when its file errors cannot be stored', async () => {
      const { db } = t.database;
      await db.execute(sql`alter table file_errors rename to file_errors_away`);
      try {
        const log = failing('b-verdict');
        const res = await upload(log);
        expect(res.status).toBe(201);
        const body = await json(res);
        expect(body).toMatchObject({ code: -2, status: 'incomplete' });
        expect((await rawOf(body.reportId)).equals(log)).toBe(true);
        const [row] = await db.select().from(results).where(eq(results.id, body.resultId));
        expect(row!.reason).toMatch(/verdict could not be stored/);
      } finally {
        await db.execute(sql`alter table file_errors_away rename to file_errors`);
      }
    });
  });

  describe('C: the retry rule holds under concurrency', () => {
    it('stores exactly one report for 20 identical uploads released together, 10 rounds in a row', async () => {
      const stored: number[] = [];
      for (let round = 0; round < 10; round++) {
        const log = failing(`c-round-${round}`);
        const finished = iso(Date.now() - 5 * MIN);
        const replies = await Promise.all(Array.from({ length: 20 }, () => upload(log, { 'x-finished-at': finished })));
        const bodies = await Promise.all(replies.map(json));
        expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
        expect(replies.filter((r) => r.status === 200)).toHaveLength(19);
        expect(new Set(bodies.map((b) => b.reportId)).size).toBe(1);
        expect(new Set(bodies.map((b) => `${b.code}/${b.status}`))).toEqual(new Set(['23/failed']));
        const rows = await t.database.db.select().from(reports).where(eq(reports.sha256, sha(log)));
        stored.push(rows.length);
      }
      expect(stored).toEqual(Array(10).fill(1));
    });
  });

  describe('idempotency that does not eat real nights', () => {
    it('takes the same bytes a night later as a new report with its own result', async () => {
      const log = fixture('code10-connection-refused');
      const first = await json(await upload(log));
      // The same log, 23 h 50 min later: a connection-refused log has no timestamps.
      await t.database.db
        .update(reports)
        .set({ receivedAt: new Date(Date.now() - (23 * 60 + 50) * MIN) })
        .where(eq(reports.id, first.reportId));
      const next = await upload(log);
      expect(next.status).toBe(201);
      const body = await json(next);
      expect(body.duplicate).toBe(false);
      expect(body.reportId).not.toBe(first.reportId);
      expect(body.resultId).toBeGreaterThan(first.resultId);
      expect(body).toMatchObject({ code: 10, status: 'failed' });
    });

    it('answers a retry within the window 200 with the same report, and a changed finish time is a new report', async () => {
      const log = failing('retry-window');
      const finished = iso(Date.now() - 30 * MIN);
      const first = await upload(log, { 'x-finished-at': finished });
      expect(first.status).toBe(201);
      const { reportId } = await json(first);
      const again = await upload(log, { 'x-finished-at': finished });
      expect(again.status).toBe(200);
      expect(await json(again)).toMatchObject({ reportId, duplicate: true, code: 23, status: 'failed' });
      const otherRun = await upload(log, { 'x-finished-at': iso(Date.now() - 20 * MIN) });
      expect(otherRun.status).toBe(201);
      // Past the retry window (10 minutes by default) the same body and headers are a new report too.
      await t.database.db.update(reports).set({ receivedAt: new Date(Date.now() - 11 * MIN) }).where(eq(reports.id, reportId));
      const late = await upload(log, { 'x-finished-at': finished });
      expect(late.status).toBe(201);
    });

    it('recognises an Idempotency-Key retry for a day, and a reused key with a new log is a new report', async () => {
      const log = failing('idem');
      const first = await json(await upload(log, { 'idempotency-key': 'fs01-2026-11-23' }));
      await t.database.db.update(reports).set({ receivedAt: new Date(Date.now() - 3 * 60 * MIN) }).where(eq(reports.id, first.reportId));
      const retry = await upload(log, { 'idempotency-key': 'fs01-2026-11-23' });
      expect(retry.status).toBe(200);
      expect((await json(retry)).reportId).toBe(first.reportId);
      const other = await upload(failing('idem-other'), { 'idempotency-key': 'fs01-2026-11-23' });
      expect(other.status).toBe(201);
      const bad = await upload(log, { 'idempotency-key': 'has spaces in it' });
      expect(bad.status).toBe(400);
      expect((await json(bad)).error.message).toMatch(/Idempotency-Key/);
    });
  });

  describe('the time rule', () => {
    it('refuses a finish time in the future or a month old with 400 naming the clock', async () => {
      const future = await upload(failing('time-future'), { 'x-finished-at': '2027-11-23T00:00:00Z' });
      expect(future.status).toBe(400);
      expect((await json(future)).error.message).toMatch(/X-Finished-At .* ahead of backupbot's clock .*Fix the backed-up server's clock/);
      const old = await upload(failing('time-old'), { 'x-finished-at': iso(Date.now() - 31 * 24 * 60 * MIN) });
      expect(old.status).toBe(400);
      expect((await json(old)).error.message).toMatch(/X-Finished-At .* before backupbot's clock .* older than 30 days are refused/);
    });

    it('never lets a clock a few minutes fast hide the next result', async () => {
      const ahead = await json(await upload(fixture('ok-verbose'), { 'x-finished-at': iso(Date.now() + 10 * MIN) }));
      const [row] = await t.database.db.select().from(results).where(eq(results.id, ahead.resultId));
      const [report] = await t.database.db.select().from(reports).where(eq(reports.id, ahead.reportId));
      expect(row!.backupAt.getTime()).toBeLessThanOrEqual(report!.receivedAt.getTime());
      const next = await json(await upload(failing('time-next')));
      const [status] = await fleetStatus(t.database.db, { serverIds: [serverId] });
      expect(status!.latest).toMatchObject({ id: next.resultId, status: 'failed' });
    });
  });

  describe('G: strict time headers', () => {
    it.each([
      ['1', /not between 2000 and 2100/],
      ['0', /not between 2000 and 2100/],
      ['99999999999', /not between 2000 and 2100/],
      ['+275760-09-13T00:00:00.000Z', /ISO 8601 time with a time zone/],
      ['2026-11-23T02:15:00', /ISO 8601 time with a time zone/],
      ['2026-02-31T02:15:00Z', /not a real date/],
      ['yesterday', /ISO 8601/],
    ])('refuses X-Started-At: %s with 400', async (value, message) => {
      const res = await upload('x', { 'x-started-at': value });
      expect(res.status).toBe(400);
      expect((await json(res)).error.message).toMatch(message);
    });

    it('accepts ISO 8601 with an offset and Unix seconds', async () => {
      const started = new Date(Date.now() - 50 * MIN);
      const offset = `${started.toISOString().slice(0, 11)}${String((started.getUTCHours() + 1) % 24).padStart(2, '0')}${started.toISOString().slice(13, 19)}+01:00`;
      const res = await upload(failing('time-ok'), { 'x-started-at': started.getUTCHours() === 23 ? iso(started.getTime()) : offset, 'x-finished-at': String(Math.floor(Date.now() / 1000) - 60) });
      expect(res.status).toBe(201);
      const [report] = await t.database.db.select().from(reports).where(eq(reports.id, (await json(res)).reportId));
      expect(Math.abs(report!.startedAt!.getTime() - Math.floor(started.getTime() / 1000) * 1000)).toBeLessThan(1000);
    });
  });

  describe('F: slow and idle clients', () => {
    it('cuts off a body that stalls with 408 and stores nothing', async () => {
      const before = (await t.database.db.select({ id: reports.id }).from(reports)).length;
      const started = Date.now();
      const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${svc.url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': '100000' } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.write('sending incremental file list\n');
      });
      expect(reply.status).toBe(408);
      expect(reply.body).toMatch(/UPLOAD_STALL_SECONDS/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await t.database.db.select({ id: reports.id }).from(reports)).toHaveLength(before);
    });

    it('caps the uploads one token may have in progress with 429', async () => {
      const held = Array.from({ length: 24 }, () => {
        const req = request(`${svc.url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': '100000' } });
        req.on('error', () => undefined);
        req.write('x');
        return req;
      });
      await new Promise((r) => setTimeout(r, 300));
      const over = await upload(failing('cap'));
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBeTruthy();
      expect((await json(over)).error.message).toMatch(/UPLOAD_MAX_PER_TOKEN/);
      for (const req of held) req.destroy();
      // Once they are gone, the token may upload again.
      await new Promise((r) => setTimeout(r, 300));
      expect((await upload(failing('cap-after'))).status).toBe(201);
    });

    it('closes an idle keep-alive connection after HTTP_KEEPALIVE_SECONDS', async () => {
      const { port } = new URL(svc.url);
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let answeredAt = 0;
        socket.on('data', () => (answeredAt ||= Date.now()));
        socket.on('close', () => resolve(Date.now() - answeredAt));
        socket.on('error', reject);
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
        setTimeout(() => {
          socket.destroy();
          reject(new Error('the idle connection was still open after 4 s'));
        }, 4000).unref();
      });
      expect(closedAfter).toBeLessThan(2500);
    });
  });

  describe('D: liveness and readiness', () => {
    it('answers /readyz 200 while the database answers, /healthz with its state', async () => {
      const ready = await fetch(`${svc.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', database: { status: 'up' } });
      const health = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      expect(await health.json()).toMatchObject({ status: 'ok', database: { status: 'up' } });
    });
  });

  describe('G: aborted uploads are cleaned up', () => {
    it('marks an upload that stopped arriving long ago as aborted and deletes its chunks', async () => {
      const { db } = t.database;
      const [stale] = await db.insert(reports).values({ serverId, state: 'receiving', receivedAt: new Date(Date.now() - 2 * 60 * MIN) }).returning();
      await db.insert(reportChunks).values([0, 1].map((seq) => ({ reportId: stale!.id, seq, data: Buffer.alloc(1024, 0x61) })));
      const [live] = await db.insert(reports).values({ serverId, state: 'receiving', receivedAt: new Date(Date.now() - 2 * 60 * MIN) }).returning();
      await db.insert(reportChunks).values({ reportId: live!.id, seq: 0, data: Buffer.alloc(10, 0x61) });
      const swept = await sweepAbortedUploads(db, new Date(), { receiving: new Set([live!.id]) });
      expect(swept).toEqual({ reports: 1, chunks: 2 });
      const [after] = await db.select().from(reports).where(eq(reports.id, stale!.id));
      expect(after!.state).toBe('aborted');
      expect(await db.select().from(reportChunks).where(eq(reportChunks.reportId, stale!.id))).toHaveLength(0);
      // The one this process is still reading is left alone.
      expect(await db.select().from(reportChunks).where(eq(reportChunks.reportId, live!.id))).toHaveLength(1);
      await db.delete(reports).where(eq(reports.id, live!.id));
    });
  });
});
