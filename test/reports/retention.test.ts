import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { fileErrors, jobRuns, postedMessages, reportChunks, reports, results } from '../../src/db/schema.ts';
import type { Service } from '../../src/main.ts';
import { pruneOld, retentionCutoff } from '../../src/reports/retention.ts';
import { resultHistory } from '../../src/reports/status.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rsync', `${name}.log`));
const DAY = 86_400_000;

describe.each(DATABASES)('retention (RETENTION_DAYS=30) on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let serverId: number;
  const ids: number[] = [];

  const upload = async (token: string, body: Buffer) => {
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-exit-code': '23' }, body });
    expect(res.status).toBe(201);
    return ((await res.json()) as { reportId: number }).reportId;
  };
  const cli = async (args: string[], env: Record<string, string> = { RETENTION_DAYS: '30' }) => {
    let out = '';
    let err = '';
    const code = await main(args, { database: t.database, env, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
    return { code, out, err };
  };
  const chunksOf = async (reportIds: number[]) => (await t.database.db.select({ n: count() }).from(reportChunks).where(inArray(reportChunks.reportId, reportIds)))[0]!.n;

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, { RETENTION_DAYS: '30', TZ: 'UTC' });
    const seeded = await seedServer(t.database, 'Retention Co', 'ret-fs01');
    serverId = seeded.server.id;
    // Three reports with file errors; the first two are made 40 and 35 days old, the third is today's.
    for (const name of ['code23-missing-source', 'code23-dangling-symlink', 'code23-dst-not-writable']) ids.push(await upload(seeded.token, fixture(name)));
    const { db } = t.database;
    for (const [id, age] of [[ids[0]!, 40], [ids[1]!, 35]] as const) {
      const at = new Date(Date.now() - age * DAY);
      await db.update(reports).set({ receivedAt: at }).where(eq(reports.id, id));
      await db.update(results).set({ backupAt: at }).where(eq(results.reportId, id));
    }
    await db.insert(postedMessages).values([
      { channel: 'C_OLD', ts: '1.000001', blocks: [], text: 'old summary', postedAt: new Date(Date.now() - 45 * DAY) },
      { channel: 'C_NEW', ts: '2.000001', blocks: [], text: 'recent summary', postedAt: new Date() },
    ]);
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  it('says with --dry-run what it would delete, and deletes nothing', async () => {
    const r = await cli(['prune', '--dry-run', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const said = JSON.parse(r.out) as { dryRun: boolean; days: number; reports: number; bytes: number; messages: number };
    expect(said).toMatchObject({ dryRun: true, days: 30, reports: 2, messages: 1 });
    expect(said.bytes).toBe(fixture('code23-missing-source').length + fixture('code23-dangling-symlink').length);
    expect(await chunksOf(ids)).toBeGreaterThanOrEqual(3);
    const text = await cli(['prune', '--dry-run']);
    expect(text.out).toMatch(/^Would delete the raw logs of 2 reports .* and 1 posted-message records, all older than 30 days/);
  });

  it('refuses to guess when RETENTION_DAYS is not set', async () => {
    const r = await cli(['prune'], {});
    expect(r.code).toBe(2);
    expect(r.err).toContain('RETENTION_DAYS is not set');
  });

  it('deletes old raw bytes and message records in the nightly job, once, and keeps every verdict and the history', async () => {
    const { db } = t.database;
    const since = new Date(Date.now() - 60 * DAY);
    const historyBefore = await resultHistory(db, serverId, since);
    const [errorsBefore] = await db.select({ n: count() }).from(fileErrors);
    expect(historyBefore).toHaveLength(3);
    expect(errorsBefore!.n).toBeGreaterThan(0);

    // The job's 03:17 slot today (UTC): claimed in the ledger like the posts.
    const slot = new Date();
    slot.setUTCHours(3, 17, 0, 0);
    await svc.scheduler.tick(new Date(slot.getTime() + 30_000));

    const states = await db.select({ id: reports.id, state: reports.state, size: reports.size }).from(reports).where(inArray(reports.id, ids)).orderBy(reports.id);
    expect(states.map((s) => s.state)).toEqual(['pruned', 'pruned', 'stored']);
    expect(states.every((s) => s.size > 0)).toBe(true);
    expect(await chunksOf([ids[0]!, ids[1]!])).toBe(0);
    expect(await chunksOf([ids[2]!])).toBeGreaterThan(0);
    expect(await resultHistory(db, serverId, since)).toEqual(historyBefore);
    expect((await db.select({ n: count() }).from(fileErrors))[0]!.n).toBe(errorsBefore!.n);
    expect((await db.select({ channel: postedMessages.channel }).from(postedMessages)).map((m) => m.channel)).toEqual(['C_NEW']);
    const [run] = await db.select().from(jobRuns).where(eq(jobRuns.job, 'prune'));
    expect(run).toMatchObject({ state: 'done', payload: { reports: 2, messages: 1 } });

    // A second replica (or a second tick) finds the slot taken: nothing runs twice.
    const job = { name: 'prune', cron: '17 3 * * *', channel: undefined, build: () => Promise.resolve([]), deliver: () => Promise.reject(new Error('must not run')) };
    expect(await svc.scheduler.runSlot(job, slot)).toBe('skipped');
    // And pruning again finds nothing left to do.
    expect(JSON.parse((await cli(['prune', '--json'])).out)).toMatchObject({ dryRun: false, reports: 0, messages: 0 });
  });

  it('works through more old reports than one batch holds, one short transaction at a time', async () => {
    const { db } = t.database;
    const { token } = await seedServer(t.database, 'Retention Co', 'ret-fs02');
    const more: number[] = [];
    for (let i = 0; i < 5; i++) more.push(await upload(token, Buffer.concat([Buffer.from(`night ${i}\n`), fixture('code23-missing-source')])));
    await db.update(reports).set({ receivedAt: new Date(Date.now() - 50 * DAY) }).where(inArray(reports.id, more));
    const done = await pruneOld(db, retentionCutoff(new Date(), 30), { batch: 2, pauseMs: 0 });
    expect(done.reports).toBe(5);
    expect(await chunksOf(more)).toBe(0);
    expect((await db.select({ n: count() }).from(results).where(inArray(results.reportId, more)))[0]!.n).toBe(5);
  });
});
