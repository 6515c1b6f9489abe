import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { loadConfig } from '../../src/config.ts';
import { auditLog } from '../../src/db/schema.ts';
import { findServer } from '../../src/fleet/servers.ts';
import { ingestReport } from '../../src/reports/ingest.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures');

async function run(args: string[], t?: TestDb) {
  let out = '';
  let err = '';
  const code = await main(args, { ...(t ? { database: t.database } : {}), env: {}, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
  return { code, out, err };
}

describe('backupbot parse: only the rules that need no history', () => {
  it('calls a dry run suspect in --json, with the code still the tool\'s', async () => {
    const r = await run(['parse', join(FIXTURES, 'rsync/ok-dry-run.log'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ code: 0, status: 'suspect', suspicion: [{ rule: 'dry-run' }] });
    expect(JSON.parse((await run(['parse', join(FIXTURES, 'rsync/ok-verbose.log'), '--json'])).out)).toMatchObject({ status: 'ok', suspicion: [] });
  });

  it('checks a canary given with --canary', async () => {
    const seen = await run(['parse', join(FIXTURES, 'rsync/ok-verbose.log'), '--canary', '/home/me/docs/report.txt']);
    expect(seen.out).toMatch(/^OK {2}rsync 0/);
    const missed = await run(['parse', join(FIXTURES, 'rsync/ok-verbose.log'), '--canary', '/srv/.backupbot-canary']);
    expect(missed.code).toBe(0);
    expect(missed.out).toMatch(/^SUSPECT {2}rsync 0/);
    expect(missed.out).toContain('suspect (canary): canary /srv/.backupbot-canary was not copied this run');
    const bad = await run(['parse', join(FIXTURES, 'rsync/ok-verbose.log'), '--canary', '/srv/']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('names a folder; name the file itself');
  });
});

describe('suspect settings in the configuration', () => {
  it('names each bad threshold and what it must be', () => {
    expect(loadConfig({})).toMatchObject({ SUSPECT_DROP_PERCENT: 50, SUSPECT_SHORT_PERCENT: 20, SUSPECT_MIN_RUNS: 5, SUSPECT_WINDOW: 14 });
    expect(() => loadConfig({ SUSPECT_DROP_PERCENT: '0', SUSPECT_SHORT_PERCENT: 'lots' })).toThrow(/SUSPECT_DROP_PERCENT .*; SUSPECT_SHORT_PERCENT must be a whole number/);
    expect(() => loadConfig({ SUSPECT_MIN_RUNS: '20', SUSPECT_WINDOW: '14' })).toThrow(/SUSPECT_MIN_RUNS must not be more than SUSPECT_WINDOW \(14\)/);
  });
});

describe.each(DATABASES)('server settings for suspect runs on %s', (_kind, open) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await open();
    expect((await run(['customer', 'add', 'Acme'], t)).code).toBe(0);
  });
  afterAll(async () => t?.dispose());

  it('sets a canary at add time and says what the log must show for each tool', async () => {
    const r = await run(['server', 'add', 'Acme', 'fs01', '--format', 'rsync', '--canary', '/srv/.backupbot-canary'], t);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Canary /srv/.backupbot-canary: rewrite it right before each backup');
    expect(r.out).toContain('rsync: rsync lists the files it copied only with -v');
    expect(r.out).not.toContain('TSM:');
    const auto = await run(['server', 'add', 'Acme', 'fs02', '--canary', 'C:\\Data\\.backupbot-canary'], t);
    for (const tool of ['rsync', 'TSM', 'restic', 'borg']) expect(auto.out).toContain(`  ${tool}: `);
  });

  it('sets, resets and removes per-server thresholds and the canary, refusing bad values with what to give', async () => {
    const set = await run(['server', 'set', 'fs01', '--drop-percent', '30', '--short-percent', '10', '--json'], t);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ canary: '/srv/.backupbot-canary', dropPercent: 30, shortPercent: 10 });
    const reset = await run(['server', 'set', 'fs01', '--short-percent', 'default', '--no-canary', '--json'], t);
    expect(JSON.parse(reset.out)).toMatchObject({ canary: null, dropPercent: 30, shortPercent: null });
    for (const [args, message] of [
      [['--drop-percent', '0'], '--drop-percent must be a whole percentage from 1 to 99 (or "default"); got "0".'],
      [['--short-percent', '150'], '--short-percent must be a whole percentage from 1 to 99 (or "default"); got "150".'],
      [['--canary', '/srv/'], '--canary "/srv/" names a folder; name the file itself, e.g. /srv/.backupbot-canary.'],
      [['--canary', ' '], '--canary needs a file path'],
    ] as const) {
      const bad = await run(['server', 'set', 'fs01', ...args], t);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(message);
    }
  });

  it('rebaseline needs a reason and a run to accept', async () => {
    const noReason = await run(['server', 'rebaseline', 'fs01'], t);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason');
    const noRun = await run(['server', 'rebaseline', 'fs01', '--reason', 'archive moved'], t);
    expect(noRun.code).toBe(2);
    expect(noRun.err).toContain('"fs01" has no report yet: there is no run to accept as the new normal.');
  });

  it('rebaseline accepts the latest run and audits it, but a dry run stays suspect', async () => {
    const server = (await findServer(t.database.db, 'fs01'))!;
    const meta = { format: 'auto', exitCode: 0, startedAt: new Date('2026-11-20T02:00:00Z'), finishedAt: new Date('2026-11-20T02:00:05Z') };
    const dry = await ingestReport(t.database.db, server, Readable.from([readFileSync(join(FIXTURES, 'rsync/ok-dry-run.log'))]), meta, 1e9);
    expect(dry.verdict.status).toBe('suspect');
    const r = await run(['server', 'rebaseline', 'fs01', '--reason', 'testing the new script'], t);
    expect(r.code).toBe(0);
    expect(r.out).toContain('now starts with the run of 2026-11-20T02:00:05.000Z');
    expect(r.out).toContain('it is suspect now.');
    expect(r.out).toContain('still suspect: dry run: rsync was run as a dry run');
    const [entry] = await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'server.rebaseline'));
    expect(entry).toMatchObject({ serverId: server.id, details: { reason: 'testing the new script', reportId: dry.reportId } });
    // Accepting the same run twice (a double click, a second admin) does it once.
    const again = await run(['server', 'rebaseline', 'fs01', '--reason', 'testing the new script'], t);
    expect(again.code).toBe(2);
    expect(again.err).toContain("is already the start of fs01's baseline: nothing to do.");
    expect(await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'server.rebaseline'))).toHaveLength(1);
  });
});
