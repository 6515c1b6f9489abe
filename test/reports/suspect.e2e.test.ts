import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.ts';
import { addServer, requireServer, setServer } from '../../src/fleet/servers.ts';
import { addCustomer } from '../../src/fleet/customers.ts';
import type { Service } from '../../src/main.ts';
import { rebaseline } from '../../src/reports/baseline.ts';
import { reparseReports } from '../../src/reports/reparse.ts';
import { buildNightlySummary } from '../../src/reports/summary.ts';
import { nightlyMessages } from '../../src/slack/views/nightly.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';

/**
 * Scenarios over simulated nights: real tool output with its counts edited, uploaded over
 * HTTP with X-Started-At / X-Finished-At, one night apart.
 */

const fixture = (tool: string, name: string) => readFileSync(join(import.meta.dirname, '../fixtures', tool, `${name}.log`), 'utf8');
const grouped = (n: number) => Math.round(n).toLocaleString('en-US');
/** Every generated log differs in a byte count nobody judges, so no upload looks like a retry of another. */
let serial = 0;

/** rsync -av --stats output claiming `files` files and `bytes` bytes, optionally listing more paths. */
function rsyncNight(files: number, bytes: number, extra: string[] = []): string {
  return fixture('rsync', 'ok-stats')
    .replace('Number of files: 11 (reg: 6, dir: 5)', `Number of files: ${grouped(files)} (reg: ${grouped(files - 5)}, dir: 5)`)
    .replace('total size is 150,086', `total size is ${grouped(bytes)}`)
    .replace('sent 150,644 bytes', `sent ${grouped(150_644 + ++serial)} bytes`)
    .replace('photos/2024/img-0002.jpg\n', `photos/2024/img-0002.jpg\n${extra.map((p) => `${p}\n`).join('')}`);
}

/** A normal TSM scheduled night (the us-dates fixture) that inspected `objects` objects. */
function tsmNight(objects: number): string {
  return fixture('tsm', 'sched-ok-us-dates').replace(/(Total number of objects inspected:\s+)[\d,]+/g, (_m, head: string) => `${head}${grouped(objects)}`)
    .replace(/(Total number of objects expired:\s+)[\d,]+/g, (_m, head: string) => `${head}${++serial}`);
}

const sqlLatest = (reportId: number) => sql`select status from results where report_id = ${reportId} order by id desc limit 1`;

const DAY = 24 * 3600_000;
/** Night `i` of a server's history: started 02:00 UTC on 1 Oct 2026 + i days, ran `minutes`. */
function night(i: number, minutes: number) {
  const start = new Date(Date.UTC(2026, 9, 1, 2, 0) + i * DAY);
  return { 'x-started-at': start.toISOString(), 'x-finished-at': new Date(start.getTime() + minutes * 60_000).toISOString() };
}

/** Day-to-day variation within ±20 %, the same on every run of the test. */
const WOBBLE = [1, 0.82, 1.18, 0.9, 1.1, 0.8, 1.2, 0.95, 1.05, 0.85, 1.15, 1, 0.88, 1.12];

interface Verdict {
  reportId: number;
  status: string;
  code: number;
  suspicion: Array<{ rule: string; message: string }>;
}

describe.each(DATABASES)('suspect runs on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    t = await open();
    // The scenarios replay nights from October 2026: allow finish times that old.
    svc = await startTestService(t.database, { MAX_REPORT_AGE_DAYS: '3650' });
    await addCustomer(t.database.db, 'Acorn');
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  async function server(name: string, settings: { canaryPath?: string; format?: string } = {}) {
    const { token } = await addServer(t.database.db, { customer: 'Acorn', name, targetHost: 'custbak1', scheduleCron: '0 2 * * *', canaryPath: settings.canaryPath, defaultFormat: settings.format });
    tokens.set(name, token);
  }

  async function upload(name: string, body: string, headers: Record<string, string>): Promise<Verdict> {
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: `Bearer ${tokens.get(name)}`, ...headers } });
    expect(res.status).toBe(201);
    return (await res.json()) as Verdict;
  }

  /** `n` normal rsync nights from night `from` on: ~10,000 files, ~2 GB, ~30 min, all within ±20 %. */
  async function normalNights(name: string, from: number, n: number, scale = 1) {
    const out: Verdict[] = [];
    for (let i = 0; i < n; i++) {
      const w = WOBBLE[(from + i) % WOBBLE.length]!;
      out.push(await upload(name, rsyncNight(10_000 * w * scale, 2e9 * w * scale), night(from + i, 30 * w)));
    }
    return out;
  }

  it('does not judge drops before the learning period, and then ignores ±20 % day-to-day variation', async () => {
    await server('learner');
    // Three good runs only: a night with a tenth of the files is not judged yet.
    for (const v of await normalNights('learner', 0, 3)) expect(v).toMatchObject({ status: 'ok', suspicion: [] });
    const early = await upload('learner', rsyncNight(1_000, 2e8), night(3, 3));
    expect(early).toMatchObject({ status: 'ok', code: 0, suspicion: [] });
    // Twelve more normal nights, each within ±20 % of the usual: none is suspect.
    for (const v of await normalNights('learner', 4, 12)) expect(v).toMatchObject({ status: 'ok', suspicion: [] });
  });

  it('calls a sudden drop in files suspect, with the numbers, and keeps the tool its code', async () => {
    await server('dropper');
    await normalNights('dropper', 0, 6);
    const v = await upload('dropper', rsyncNight(1_204, 1.9e9), night(6, 29));
    expect(v.status).toBe('suspect');
    expect(v.code).toBe(0);
    expect(v.suspicion).toHaveLength(1);
    expect(v.suspicion[0]!.rule).toBe('drop');
    // The six good runs had 10,000 × 1, 0.82, 1.18, 0.9, 1.1, 0.8 files: the median is 9,500.
    expect(v.suspicion[0]!.message).toBe('inspected 1,204 files; the last 6 good runs inspected 9,500 (median): −87 %');
  });

  it('calls a drop in total size alone suspect too, and names the size', async () => {
    await server('shrinker');
    await normalNights('shrinker', 0, 6);
    const v = await upload('shrinker', rsyncNight(10_000, 4e8), night(6, 30));
    expect(v.status).toBe('suspect');
    expect(v.suspicion.map((s) => s.rule)).toEqual(['drop']);
    expect(v.suspicion[0]!.message).toBe('saw 400 MB; the last 6 good runs saw 1.9 GB (median): −79 %');
  });

  it('calls a run far shorter than usual suspect, from the upload times', async () => {
    await server('sprinter');
    await normalNights('sprinter', 0, 6);
    const v = await upload('sprinter', rsyncNight(10_000, 2e9), night(6, 2));
    expect(v.status).toBe('suspect');
    expect(v.suspicion).toEqual([{ rule: 'short', message: 'ran 2 min; the last 6 good runs took 29 min (median): 7 % of the usual, under 20 %' }]);
  });

  it('calls a dry run suspect for rsync, restic and borg, whatever its history', async () => {
    await server('dry');
    for (const [tool, name, i] of [['rsync', 'ok-dry-run', 0], ['restic', 'ok-dry-run', 1], ['borg', 'ok-dry-run', 2]] as const) {
      const v = await upload('dry', fixture(tool, name), night(i, 1));
      expect(v.status).toBe('suspect');
      expect(v.code).toBe(0);
      expect(v.suspicion.map((s) => s.rule)).toEqual(['dry-run']);
      expect(v.suspicion[0]!.message).toMatch(/^dry run: (rsync|restic|borg) was run as a dry run .*nothing was copied$/);
    }
  });

  it('rsync canary: ok when the log lists it copied, suspect when it does not', async () => {
    await server('canary-rsync', { canaryPath: '/srv/.backupbot-canary' });
    // rsync -av /srv DEST lists it relative to its argument.
    expect(await upload('canary-rsync', rsyncNight(11, 150_086, ['srv/.backupbot-canary']), night(0, 1))).toMatchObject({ status: 'ok', suspicion: [] });
    // A similarly named file is not the canary.
    const other = await upload('canary-rsync', rsyncNight(11, 150_086, ['srv/.backupbot-canary.old']), night(1, 1));
    expect(other).toMatchObject({ status: 'suspect', suspicion: [{ rule: 'canary', message: 'canary /srv/.backupbot-canary was not copied this run' }] });
    expect(await upload('canary-rsync', rsyncNight(11, 150_086), night(2, 1))).toMatchObject({ status: 'suspect', suspicion: [{ rule: 'canary' }] });
  });

  it('restic and TSM canaries: proven by restic -vv and by TSM\'s [Sent] lines; plain restic output cannot prove it', async () => {
    await server('canary-restic', { canaryPath: '/tmp/bbfx-restic/ok-verbose/src/docs/report.txt' });
    expect(await upload('canary-restic', fixture('restic', 'ok-verbose'), night(0, 1))).toMatchObject({ status: 'ok', suspicion: [] });
    expect(await upload('canary-restic', fixture('restic', 'ok-text'), night(1, 1))).toMatchObject({
      status: 'suspect',
      suspicion: [{ rule: 'canary', message: 'canary /tmp/bbfx-restic/ok-verbose/src/docs/report.txt was not copied this run' }],
    });
    await server('canary-tsm', { canaryPath: '/srv/share/Finance/budget 2026.xlsx' });
    expect(await upload('canary-tsm', tsmNight(400_000), night(0, 41))).toMatchObject({ status: 'ok', suspicion: [] });
    await setServer(t.database.db, 'canary-tsm', { canaryPath: '/srv/share/Finance/budget 2027.xlsx' });
    expect(await upload('canary-tsm', tsmNight(400_100), night(1, 41))).toMatchObject({ status: 'suspect', suspicion: [{ rule: 'canary' }] });
  });

  it('clears after "accept as the new normal": the accepted run becomes ok, later runs at the new level are ok', async () => {
    await server('cleaner');
    await normalNights('cleaner', 0, 6);
    const drop = await upload('cleaner', rsyncNight(3_000, 6e8), night(6, 10));
    expect(drop.status).toBe('suspect');
    // Without accepting, the next night at the new level is suspect as well.
    expect((await upload('cleaner', rsyncNight(3_100, 6.1e8), night(7, 10))).status).toBe('suspect');
    const db = t.database.db;
    const done = await rebaseline(db, await requireServer(db, 'cleaner'), { reason: 'old archives deleted', actor: 'cli:test' });
    expect(done.rejudged.map((o) => o.verdict.status)).toEqual(['ok']);
    // The baseline now starts at night 7: a week at the new level stays ok, learning first, then judged.
    for (const v of await normalNights('cleaner', 8, 7, 0.3)) expect(v).toMatchObject({ status: 'ok', suspicion: [] });
    // ...and a drop from the new level is caught again.
    expect((await upload('cleaner', rsyncNight(300, 6e7), night(15, 10))).suspicion.map((s) => s.rule)).toEqual(['drop']);
  });

  it('reparse judges a report against the history it had, not today\'s', async () => {
    await server('history');
    await normalNights('history', 0, 6);
    const drop = await upload('history', rsyncNight(4_000, 8e8), night(6, 30));
    expect(drop.status).toBe('suspect');
    const db = t.database.db;
    // Later, the lower level is accepted and becomes the normal.
    await upload('history', rsyncNight(4_000, 8e8), night(7, 30));
    await rebaseline(db, await requireServer(db, 'history'), { reason: 'project archive moved to the NAS', actor: 'cli:test' });
    await normalNights('history', 8, 6, 0.4);
    const s = await requireServer(db, 'history');
    const report = await reparseReports(db, { serverIds: [s.id] });
    expect(report.total).toBe(14);
    // Night 6 is judged against nights 0-5 again (today's baseline would call it ok)...
    const night6 = report.changed.find((c) => c.reportId === drop.reportId);
    expect(night6).toBeUndefined();
    const [latest6] = await db.execute(sqlLatest(drop.reportId)).then((r) => rowsOf(r));
    expect(latest6).toMatchObject({ status: 'suspect' });
    // ...and nothing else changed either.
    expect(report.changed).toEqual([]);
  });

  it('Safespring: weeks of normal TSM nights, then one that inspected a few percent and closed cleanly → suspect in the nightly summary', async () => {
    await server('fs01-tsm', { format: 'tsm' });
    for (let i = 0; i < 21; i++) {
      const v = await upload('fs01-tsm', tsmNight(412_337 * WOBBLE[i % WOBBLE.length]!), night(31 + i, 41 * WOBBLE[(i + 3) % WOBBLE.length]!));
      expect(v).toMatchObject({ status: 'ok', suspicion: [] });
    }
    // The real early-quit log: scheduled event "completed successfully", code 0.
    const quit = await upload('fs01-tsm', fixture('tsm', 'sched-safespring-early-quit'), { 'x-started-at': '2026-11-23T02:00:05Z', 'x-finished-at': '2026-11-23T02:41:17Z' });
    expect(quit.code).toBe(0);
    expect(quit.status).toBe('suspect');
    const drop = quit.suspicion.find((s) => s.rule === 'drop')!;
    expect(drop.message).toMatch(/^inspected 1,214 objects; the last 14 good runs inspected [\d,]+ \(median\): −100 %; and saw 3\.9 GB; the last 14 good runs saw 1\.2 TB \(median\): −100 %$/);

    const summary = await buildNightlySummary(t.database.db, new Date('2026-11-23T07:00:00Z'));
    expect(summary.counts.suspect).toBeGreaterThanOrEqual(1);
    const row = summary.problems.find((p) => p.server === 'fs01-tsm')!;
    expect(row.status).toBe('suspect');
    const text = JSON.stringify(nightlyMessages(summary, 'UTC')[0]!.blocks);
    expect(text).toContain(`*${summary.counts.suspect}* suspect`);
    expect(text).toContain('`fs01-tsm` *suspect* · TSM 0');
    expect(text).toContain('inspected 1,214 objects; the last 14 good runs inspected');
  });
});
