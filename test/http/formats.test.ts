import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reports, results } from '../../src/db/schema.ts';
import { setServer } from '../../src/fleet/servers.ts';
import { reparseReports } from '../../src/reports/reparse.ts';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';

const ROOT = join(import.meta.dirname, '../fixtures');
const fixture = (tool: string, name: string) => readFileSync(join(ROOT, tool, `${name}.log`));

interface Reply {
  reportId: number;
  resultId: number;
  format: string;
  code: number;
  status: string;
  meaning: string;
  hint: string;
  reason: string | null;
  counts: { fileErrors: number };
  error: { code: string; message: string };
}

describe.each(DATABASES)('uploads of every tool on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let token: string;

  beforeAll(async () => {
    t = await open();
    svc = await startTestService(t.database, {});
    token = (await seedServer(t.database)).token;
  });
  afterAll(async () => {
    await svc?.stop();
    await t?.dispose();
  });

  const upload = async (body: Buffer | string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: res.status, body: (await res.json()) as Reply };
  };

  it.each([
    ['rsync', 'code23-unreadable-file', 23, 'failed', 'rsync'],
    ['tsm', 'sched-rc12-denied-in-use', 12, 'failed', 'tsm'],
    ['restic', 'code3-unreadable-json', 3, 'failed', 'restic'],
    ['borg', 'rc1-unreadable', 1, 'failed', 'borg'],
    ['tsm', 'sched-safespring-early-quit', 0, 'ok', 'tsm'],
  ] as const)('detects %s (%s) and answers its verdict, storing the tool as the result format', async (tool, name, code, status, format) => {
    const { status: http, body } = await upload(fixture(tool, name));
    expect(http).toBe(201);
    expect(body).toMatchObject({ format, code, status });
    const [row] = await t.database.db.select().from(results).where(eq(results.id, body.resultId));
    expect(row).toMatchObject({ format, code, status });
    const [report] = await t.database.db.select().from(reports).where(eq(reports.id, body.reportId));
    expect(report!.format).toBe('auto');
  });

  it('parses with the tool X-Report-Format names, even when the log looks like another', async () => {
    const { body } = await upload(fixture('restic', 'ok-text'), { 'x-report-format': 'borg' });
    expect(body).toMatchObject({ format: 'borg', code: -2, status: 'incomplete' });
    const forced = await upload(fixture('borg', 'rc2-missing-repo'), { 'x-report-format': 'BORG' });
    expect(forced.body).toMatchObject({ format: 'borg', code: 2, status: 'failed' });
  });

  it('reads a log as the server\'s default format when the upload does not name one', async () => {
    const { token: rsyncOnly, server } = await seedServer(t.database, 'Acorn', 'fs-rsync-only');
    await setServer(t.database.db, `Acorn/${server.name}`, { defaultFormat: 'rsync' });
    const send = (headers: Record<string, string>) =>
      fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: fixture('restic', 'ok-text'), headers: { authorization: `Bearer ${rsyncOnly}`, ...headers } }).then(async (r) => (await r.json()) as Reply);
    // A restic log sent by a server set to rsync is read as rsync: it proves nothing.
    expect(await send({})).toMatchObject({ format: 'rsync', code: -2, status: 'incomplete' });
    // The header still wins, "auto" included.
    expect(await send({ 'x-report-format': 'auto', 'x-finished-at': new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ format: 'restic', code: 0, status: 'ok' });
  });

  it('refuses an unknown X-Report-Format with 400 naming the accepted ones', async () => {
    const { status, body } = await upload('x', { 'x-report-format': 'veeam' });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/auto, rsync, tsm, restic, borg/);
  });

  it('calls a log no tool wrote -2 and says which tools it expected', async () => {
    const { body } = await upload('Backup finished OK at 02:00\nAll good.\n');
    expect(body).toMatchObject({ format: 'unknown', code: -2, status: 'incomplete' });
    expect(body.reason).toMatch(/rsync, TSM, restic, borg/);
  });

  it('stores advice specific to the log: an empty upload asks for -v / --stats, a SIGKILLed run is not blamed on the network', async () => {
    const empty = await upload('');
    expect(empty.body.hint).toMatch(/-v or --stats/);
    const [emptyRow] = await t.database.db.select().from(results).where(eq(results.id, empty.body.resultId));
    expect(emptyRow!.hint).toMatch(/-v or --stats/);

    const killed = await upload(fixture('rsync', 'killed-sigkill'), { 'x-exit-code': '137' });
    expect(killed.body).toMatchObject({ code: -2, status: 'incomplete' });
    expect(killed.body.hint).toMatch(/SIGKILL/);
    expect(killed.body.hint).not.toMatch(/Internet|escalate|TSR3/);
    const [killedRow] = await t.database.db.select().from(results).where(eq(results.id, killed.body.resultId));
    expect(killedRow!.hint).toBe(killed.body.hint);

    const fine = await upload(fixture('rsync', 'ok-stats'));
    const [fineRow] = await t.database.db.select().from(results).where(eq(results.id, fine.body.resultId));
    expect(fineRow!.hint).toBeNull();
  });

  it('reparses stored reports of every tool with the current parsers', async () => {
    const { body } = await upload(fixture('borg', 'ok-log-json'));
    // An old parser's verdict: pretend it said -2.
    await t.database.db.update(results).set({ code: -2, status: 'incomplete', parserVersion: 'borg/0' }).where(eq(results.id, body.resultId));
    const r = await reparseReports(t.database.db, {});
    const change = r.changed.find((c) => c.reportId === body.reportId);
    expect(change).toMatchObject({ from: { status: 'incomplete', code: -2 }, to: { status: 'ok', code: 0 } });
    const [row] = await t.database.db.select().from(results).where(eq(results.id, change!.resultId));
    expect(row).toMatchObject({ format: 'borg', parserVersion: 'borg/1' });
  });
});
