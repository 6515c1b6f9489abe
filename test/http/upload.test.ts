import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exceptions, fileErrors, reports, results } from '../../src/db/schema.ts';
import { readRaw } from '../../src/reports/raw.ts';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/rsync');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.log`));
const MAX = 4 * 1024 * 1024;

interface Reply {
  reportId: number;
  resultId: number;
  code: number;
  status: string;
  duplicate: boolean;
  meaning: string;
  reason: string | null;
  counts: { fileErrors: number; excepted: number };
  error: { code: string; message: string };
}
const json = (res: Response) => res.json() as Promise<Reply>;

async function rawOf(t: TestDb, reportId: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readRaw(t.database.db, reportId)) parts.push(c);
  return Buffer.concat(parts);
}

/** A real-format verbose log of about `bytes` bytes that ends with rsync's summary. */
function bigLog(bytes: number): Buffer {
  const lines = ['sending incremental file list'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const l = `home/user${i % 97}/Documents/project-${i % 13}/file-${i}.txt`;
    lines.push(l);
    size += l.length + 1;
  }
  lines.push('', 'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec', 'total size is 1,234  speedup is 0.02', '');
  return Buffer.from(lines.join('\n'));
}

describe.each(DATABASES)('POST /api/v1/reports on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let token: string;
  let serverId: number;

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, { MAX_REPORT_BYTES: String(MAX) });
    const seeded = await seedServer(t.database);
    token = seeded.token;
    serverId = seeded.server.id;
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  const upload = (body: string | Buffer, headers: Record<string, string> = {}, auth = `Bearer ${token}`) =>
    fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: auth, ...headers } });

  it('stores the upload byte for byte and answers 201 with the verdict', async () => {
    const log = fixture('code23-unreadable-file');
    const res = await upload(log, { 'x-exit-code': '23', 'x-finished-at': '2026-11-23T02:15:00Z' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ code: 23, status: 'failed', duplicate: false, meaning: 'Partial transfer due to error' });
    expect(body.counts.fileErrors).toBeGreaterThan(0);
    expect((await rawOf(t, body.reportId)).equals(log)).toBe(true);
    const [report] = await t.database.db.select().from(reports).where(eq(reports.id, body.reportId));
    expect(report).toMatchObject({ state: 'stored', size: log.length, clientExitCode: 23, serverId });
    expect(report!.finishedAt?.toISOString()).toBe('2026-11-23T02:15:00.000Z');
    const errs = await t.database.db.select().from(fileErrors).where(eq(fileErrors.resultId, body.resultId));
    expect(errs.length).toBe(body.counts.fileErrors);
  });

  it('answers 200 with the same report for a repeated identical body', async () => {
    const log = fixture('ok-verbose');
    const first = await json(await upload(log));
    const again = await upload(log);
    expect(again.status).toBe(200);
    const body = await json(again);
    expect(body).toMatchObject({ reportId: first.reportId, duplicate: true, code: 0, status: 'ok' });
    const rows = await t.database.db.select().from(reports).where(eq(reports.sha256, (await sha(log))));
    expect(rows).toHaveLength(1);
  });

  it('calls a log with no summary incomplete, whatever exit code the client claims', async () => {
    const res = await upload(fixture('killed-sigkill'), { 'x-exit-code': '0' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ code: -2, status: 'incomplete' });
    expect(body.reason).toMatch(/reported exit code 0/);
  });

  it('stores garbage and empty uploads with -2 and a reason', async () => {
    const garbage = await json(await upload(Buffer.from([0, 159, 146, 150, 0, 10, 255])));
    expect(garbage).toMatchObject({ code: -2, status: 'incomplete' });
    expect(garbage.reason).toMatch(/binary/);
    const empty = await upload('');
    expect(empty.status).toBe(201);
    expect((await json(empty)).reason).toMatch(/empty/);
  });

  it('streams a multi-megabyte report into several chunks and reads it back intact', async () => {
    const log = bigLog(2.5 * 1024 * 1024);
    const res = await upload(log);
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ code: 0, status: 'ok' });
    expect((await rawOf(t, body.reportId)).equals(log)).toBe(true);
  });

  it('refuses a wrong or missing token with 401 and does not echo it', async () => {
    const wrong = await upload('x', {}, 'Bearer bbt_not-a-real-token');
    expect(wrong.status).toBe(401);
    const text = await wrong.text();
    expect(text).not.toContain('bbt_not-a-real-token');
    expect(JSON.parse(text).error.code).toBe('unauthorized');
    const missing = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: 'x' });
    expect(missing.status).toBe(401);
  });

  it('refuses a declared or streamed body over MAX_REPORT_BYTES with 413 and stores nothing', async () => {
    const before = await t.database.db.select({ id: reports.id }).from(reports);
    const declared = await upload(Buffer.alloc(MAX + 1, 0x61));
    expect(declared.status).toBe(413);
    expect((await json(declared)).error.message).toMatch(/MAX_REPORT_BYTES/);
    const big = Buffer.alloc(MAX + 10, 0x61);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < big.length; i += 256 * 1024) controller.enqueue(big.subarray(i, i + 256 * 1024));
        controller.close();
      },
    });
    const streamed = await fetch(`${svc.url}/api/v1/reports`, {
      method: 'POST',
      body: stream,
      headers: { authorization: `Bearer ${token}` },
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const after = await t.database.db.select({ id: reports.id }).from(reports);
    expect(after).toHaveLength(before.length);
  });

  it('refuses malformed headers with 400 and says what to send', async () => {
    const bad = await upload('x', { 'x-exit-code': 'zero' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/X-Exit-Code/);
    const when = await upload('x', { 'x-started-at': 'yesterday-ish' });
    expect(when.status).toBe(400);
    expect((await json(when)).error.message).toMatch(/X-Started-At/);
    const fmt = await upload('x', { 'x-report-format': 'tar' });
    expect(fmt.status).toBe(400);
  });

  it('keeps a Windows kill status as the client exit code instead of refusing the upload', async () => {
    const res = await upload(fixture('code20-sigint'), { 'x-exit-code': '3221225786' });
    expect(res.status).toBe(201);
    const body = await json(res);
    const [report] = await t.database.db.select().from(reports).where(eq(reports.id, body.reportId));
    expect(report!.clientExitCode).toBe(-1073741510);
    expect(body).toMatchObject({ code: 20, status: 'failed' });
    const unexpanded = await upload('x', { 'x-exit-code': '%RC%' });
    expect(unexpanded.status).toBe(400);
  });

  it('applies the exceptions in force for the server when the upload arrives', async () => {
    const { db } = t.database;
    const log = fixture('code23-unreadable-file');
    const [expired] = await db
      .insert(exceptions)
      .values({ pattern: 'secret.txt', scope: 'server', serverId, reason: 'old', createdBy: 'test', expiresAt: new Date(Date.now() - 1000) })
      .returning();
    const before = await json(await upload(Buffer.concat([log, Buffer.from('\n')])));
    expect(before).toMatchObject({ status: 'failed', counts: { excepted: 0 } });
    await db.update(exceptions).set({ expiresAt: null }).where(eq(exceptions.id, expired!.id));
    const after = await json(await upload(Buffer.concat([log, Buffer.from('\n\n')])));
    expect(after).toMatchObject({ code: 23, status: 'ok', counts: { excepted: 1 } });
    await db.update(exceptions).set({ state: 'removed' }).where(eq(exceptions.id, expired!.id));
  });

  it('reports the database state on /healthz', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok', database: { status: 'up' } });
  });

  it('keeps every result of a server, newest last', async () => {
    const rows = await t.database.db.select().from(results).where(eq(results.serverId, serverId));
    expect(rows.length).toBeGreaterThanOrEqual(5);
  });
});

async function sha(buf: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(buf).digest('hex');
}
