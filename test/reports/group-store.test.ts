import { createHash } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverParameter } from '../../src/db/client.ts';
import { fileErrors, reports, results } from '../../src/db/schema.ts';
import { classify } from '../../src/reports/classify.ts';
import { GroupStore } from '../../src/reports/group-store.ts';
import { createSafeParser } from '../../src/reports/parse-safely.ts';
import { readRaw } from '../../src/reports/raw.ts';
import { loadBaseline, loadBaselines } from '../../src/reports/suspicion.ts';
import type { SmallReport, Stored } from '../../src/reports/store-small.ts';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const summary = 'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 1,234  speedup is 0.02\n';
/** A clean run (code 0) or, with `failing`, one file error and code 23; unique by `tag`. */
const log = (tag: string, failing = false) =>
  Buffer.from(
    `sending incremental file list\nsrv/${tag}/a.txt\n` +
      (failing ? `rsync: [sender] send_files failed to open "/srv/${tag}/locked.pst": Permission denied (13)\n` : '') +
      summary +
      (failing ? 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]\n' : ''),
  );

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function smallReport(serverId: number, bytes: Buffer): SmallReport {
  const parser = createSafeParser('auto');
  parser.push(bytes);
  const parsed = parser.end();
  return { serverId, format: 'auto', bytes, sha256: sha(bytes), clientExitCode: null, startedAt: null, finishedAt: null, idempotencyKey: null, parsed, verdict: classify(parsed, null) };
}

async function rawOf(t: TestDb, reportId: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readRaw(t.database.db, reportId)) parts.push(c);
  return Buffer.concat(parts);
}

describe.each(DATABASES)('group commit of small uploads on %s', (_kind, open) => {
  let t: TestDb;
  let serverId: number;
  let otherServerId: number;

  beforeAll(async () => {
    t = await open();
    serverId = (await seedServer(t.database, 'Acorn', 'fs01')).server.id;
    otherServerId = (await seedServer(t.database, 'Acorn', 'fs02')).server.id;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('stores many concurrent uploads in shared commits, each exactly once with its own verdict and bytes', async () => {
    const store = new GroupStore(t.database.db, { maxInFlight: 1, maxBatch: 16, maxBatchBytes: 1024 * 1024 });
    const bodies = Array.from({ length: 40 }, (_, i) => log(`many-${i}`, i % 4 === 3));
    // Not UTF-8 and with NUL bytes: must go as bytea and come back unchanged, next to text ones.
    bodies.push(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a, 0xc3]));
    bodies.push(Buffer.from('\ufeffsending incremental file list\r\nsrv/bom/a.txt\r\n', 'utf8'));
    const stored = await Promise.all(bodies.map((b, i) => store.store(smallReport(i % 2 ? serverId : otherServerId, b), { key: `many-${i}`, windowMs: 600_000 })));
    expect(stored.every((s) => !s.duplicate)).toBe(true);
    expect(new Set(stored.map((s) => s.reportId)).size).toBe(bodies.length);
    // They really were shared: fewer commits than uploads.
    expect(store.batchSizes.length).toBeLessThan(bodies.length);
    expect(Math.max(...store.batchSizes)).toBeGreaterThan(1);
    for (const [i, s] of stored.entries()) {
      expect(await rawOf(t, s.reportId)).toEqual(bodies[i]);
      const [report] = await t.database.db.select().from(reports).where(eq(reports.id, s.reportId));
      expect(report).toMatchObject({ serverId: i % 2 ? serverId : otherServerId, state: 'stored', size: bodies[i]!.length, sha256: sha(bodies[i]!) });
    }
    const rows = await t.database.db.select().from(results).where(inArray(results.reportId, stored.map((s) => s.reportId)));
    expect(rows).toHaveLength(bodies.length);
    const byReport = new Map(rows.map((r) => [r.reportId, r]));
    for (let i = 0; i < 40; i++) {
      const r = byReport.get(stored[i]!.reportId)!;
      expect(r.id).toBe((stored[i] as Extract<Stored, { duplicate: false }>).resultId);
      expect({ code: r.code, status: r.status }).toEqual(i % 4 === 3 ? { code: 23, status: 'failed' } : { code: 0, status: 'ok' });
      const errs = await t.database.db.select().from(fileErrors).where(eq(fileErrors.resultId, r.id));
      expect(errs.map((e) => e.path)).toEqual(i % 4 === 3 ? [`/srv/many-${i}/locked.pst`] : []);
    }
  });

  it('gives back every body byte for byte, whatever bytes it holds (property: random bytes, invalid UTF-8, NUL, Latin-1)', async () => {
    const store = new GroupStore(t.database.db, { maxInFlight: 1, maxBatch: 8, maxBatchBytes: 1024 * 1024 });
    // Bytes from the whole range, weighted toward what breaks text handling: high bytes
    // (Latin-1 / broken UTF-8), the start of multi-byte sequences, CR, NUL, backslashes.
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x0d, 0x5c, 0x80, 0xa0, 0xc2, 0xc3, 0xe2, 0xef, 0xf0, 0xff));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(byte, { maxLength: 300 }), { minLength: 2, maxLength: 6 }), async (arrays) => {
        round++;
        const bodies = arrays.map((a) => Buffer.from(a));
        const stored = await Promise.all(bodies.map((b, i) => store.store(smallReport(serverId, b), { key: `bytes-${round}-${i}`, windowMs: 600_000 })));
        for (const [i, s] of stored.entries()) expect(await rawOf(t, s.reportId)).toEqual(bodies[i]);
      }),
      { numRuns: 40, examples: [[[[0xc3, 0xa9, 0x0a], [0xff, 0xfe, 0x41], [0x00], []]]] },
    );
    // The shared path was taken (more than one upload per commit), not only one by one, and
    // on Postgres it sent the bodies as text (the server said its encoding at connect time).
    expect(Math.max(...store.batchSizes)).toBeGreaterThan(1);
    expect(serverParameter(t.database.db, 'server_encoding')).toBe(t.database.kind === 'postgres' ? 'UTF8' : undefined);
  });

  it('answers retries within one batch, and of an earlier batch, as duplicates of the one stored report', async () => {
    const store = new GroupStore(t.database.db, { maxInFlight: 1, maxBatch: 64, maxBatchBytes: 1024 * 1024 });
    const first = await store.store(smallReport(serverId, log('retry-0')), { key: 'retry-0', windowMs: 600_000 });
    const asks = Array.from({ length: 30 }, (_, i) => ({ tag: `retry-${i % 3}`, server: i % 6 < 3 ? serverId : otherServerId }));
    const stored = await Promise.all(asks.map((a) => store.store(smallReport(a.server, log(a.tag)), { key: a.tag, windowMs: 600_000 })));
    for (const server of [serverId, otherServerId]) {
      for (const tag of ['retry-0', 'retry-1', 'retry-2']) {
        const mine = stored.filter((_, i) => asks[i]!.server === server && asks[i]!.tag === tag);
        const rows = await t.database.db.select().from(reports).where(eq(reports.sha256, sha(log(tag))));
        const ids = rows.filter((r) => r.serverId === server).map((r) => r.id);
        // One report per server and key, whichever upload stored it; every other one repeats it.
        expect(ids).toHaveLength(1);
        expect(new Set(mine.map((s) => s.reportId))).toEqual(new Set(ids));
        const fresh = mine.filter((s) => !s.duplicate).length + (server === serverId && tag === 'retry-0' ? 1 : 0);
        expect(fresh).toBe(1);
      }
    }
    expect(stored.find((_, i) => asks[i]!.server === serverId && asks[i]!.tag === 'retry-0')).toEqual({ reportId: first.reportId, duplicate: true });
  });

  it('reads the baselines of many uploads in one statement exactly as one by one', async () => {
    const [mid] = await t.database.db.select({ at: results.backupAt }).from(results).where(eq(results.serverId, serverId)).limit(1);
    const asks = [
      { serverId, before: new Date(Date.now() + 1000), window: 14, exceptReportId: null },
      { serverId: otherServerId, before: new Date(Date.now() + 1000), window: 5, exceptReportId: null },
      { serverId, before: new Date(mid!.at.getTime() + 1), window: 3, exceptReportId: null },
      { serverId: 999_999, before: new Date(), window: 14, exceptReportId: null },
    ];
    const together = await loadBaselines(t.database.db, asks);
    const alone = await Promise.all(asks.map((a) => loadBaseline(t.database.db, a.serverId, a.before, a.window, a.exceptReportId)));
    expect(together).toEqual(alone);
    expect(together[0]!.length).toBeGreaterThan(1);
  });

  it('stores the others when one upload in a shared commit is refused, and fails only that one', async () => {
    const store = new GroupStore(t.database.db, { maxInFlight: 1, maxBatch: 64, maxBatchBytes: 1024 * 1024 });
    const bodies = Array.from({ length: 12 }, (_, i) => log(`bad-batch-${i}`));
    // A server that does not exist: its report breaks the shared statement (foreign key).
    const outcomes = await Promise.allSettled(bodies.map((b, i) => store.store(smallReport(i === 5 ? 999_999 : serverId, b), { key: `bad-batch-${i}`, windowMs: 600_000 })));
    expect(store.batchSizes[0]).toBeGreaterThan(1);
    expect(outcomes[5]!.status).toBe('rejected');
    const kept = outcomes.filter((o): o is PromiseFulfilledResult<Stored> => o.status === 'fulfilled');
    expect(kept).toHaveLength(11);
    for (const o of kept) expect(o.value.duplicate).toBe(false);
    const rows = await t.database.db.select().from(reports).where(inArray(reports.sha256, bodies.map(sha)));
    expect(rows).toHaveLength(11);
  });
});

describe.each(DATABASES)('concurrent uploads over HTTP on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let tokens: string[];

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, { UPLOAD_MAX_PER_TOKEN: '64' });
    tokens = [(await seedServer(t.database, 'Acorn', 'fs01')).token, (await seedServer(t.database, 'Acorn', 'fs02')).token];
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  it('answers each of 60 concurrent uploads after its commit, once 201 and its retry 200, with the right verdicts', async () => {
    const sends = Array.from({ length: 30 }, (_, i) => ({ body: log(`http-${i}`, i % 3 === 0), token: tokens[i % 2]! }));
    // Each upload twice, at the same moment: one is stored, the other is its retry.
    const replies = await Promise.all(
      [...sends, ...sends].map(async (s) => {
        const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${s.token}` }, body: s.body });
        return { status: res.status, body: (await res.json()) as { reportId: number; duplicate: boolean; code: number; status: string } };
      }),
    );
    for (let i = 0; i < 30; i++) {
      const pair = [replies[i]!, replies[i + 30]!];
      expect(pair.map((p) => p.status).sort()).toEqual([200, 201]);
      expect(pair[0]!.body.reportId).toBe(pair[1]!.body.reportId);
      for (const p of pair) expect({ code: p.body.code, status: p.body.status }).toEqual(i % 3 === 0 ? { code: 23, status: 'failed' } : { code: 0, status: 'ok' });
      expect(await rawOf(t, pair[0]!.body.reportId)).toEqual(sends[i]!.body);
    }
    const rows = await t.database.db.select().from(reports).where(inArray(reports.sha256, sends.map((s) => sha(s.body))));
    expect(rows).toHaveLength(30);
    const parsed = await t.database.db.select().from(results).where(inArray(results.reportId, rows.map((r) => r.id)));
    expect(parsed).toHaveLength(30);
  });
});
