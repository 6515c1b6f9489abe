import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { openDatabase } from '../../src/db/client.ts';
import { findServer } from '../../src/fleet/servers.ts';
import { ingestReport } from '../../src/reports/ingest.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bb-fleet-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rsync', name));
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { env: { DATA_DIR: dataDir }, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
  return { code, out, err };
}

async function store(name: string, log: Buffer) {
  const database = await openDatabase({ dataDir });
  try {
    const server = (await findServer(database.db, name))!;
    return await ingestReport(database.db, server, Readable.from([log]), { format: 'auto', exitCode: null, startedAt: null, finishedAt: null }, 1e9);
  } finally {
    await database.close();
  }
}

describe('backupbot fleet commands', () => {
  beforeAll(async () => {
    expect((await cli(['migrate'])).code).toBe(0);
  });

  it('prints its version, and describes every command in help', async () => {
    const v = await cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(pkg.version);
    const help = await cli(['server', '--help']);
    for (const sub of ['add', 'list', 'set', 'rename', 'pause', 'resume', 'remove', 'rotate-token']) expect(help.out).toMatch(new RegExp(`\\n  ${sub}\\b[^\\n]*\\S{3,}`));
    expect((await cli(['customer', '--help'])).out).toMatch(/rename \[options\] <name> <new>\s+rename a customer \(its servers and\s+history\s+stay\)/);
  });

  it('manages customers and servers by name, with CUSTOMER/SERVER when two customers share one', async () => {
    for (const c of ['Acme', 'Beta']) expect((await cli(['customer', 'add', c])).code).toBe(0);
    expect((await cli(['server', 'add', 'Acme', 'DC01', '--target', 'custbak1'])).code).toBe(0);
    expect((await cli(['server', 'add', 'Beta', 'DC01'])).code).toBe(0);
    expect((await cli(['server', 'add', 'Acme', 'fs01', '--format', 'rsync'])).code).toBe(0);
    const ambiguous = await cli(['status', 'dc01']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toMatch(/^backupbot: More than one customer has a server called "dc01": say which one, as "Acme\/DC01" or "Beta\/DC01"\.\n$/);
    const list = JSON.parse((await cli(['customer', 'list', '--json'])).out) as Array<{ name: string; servers: number }>;
    expect(list.map((c) => [c.name, c.servers])).toEqual([
      ['Acme', 2],
      ['Beta', 1],
    ]);
    expect((await cli(['customer', 'rename', 'Beta', 'Beta Ltd'])).out).toMatch(/Renamed customer "Beta" to "Beta Ltd"/);
    expect((await cli(['customer', 'rename', 'Beta Ltd', 'acme'])).err).toMatch(/Customer "acme" already exists/);
  });

  it('sets, renames, pauses, resumes and removes a server, each with a clear answer or one clear line and exit 2', async () => {
    const set = await cli(['server', 'set', 'Acme/DC01', '--schedule', '30 1 * * 1-5', '--timezone', 'Europe/Oslo', '--grace', '90', '--json']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ name: 'DC01', customer: 'Acme', schedule: '30 1 * * 1-5', timezone: 'Europe/Oslo', graceMinutes: 90 });
    for (const [args, message] of [
      [['server', 'set', 'Acme/DC01', '--schedule', 'nightly'], /not a valid cron expression/],
      [['server', 'set', 'Acme/DC01', '--grace', 'soon'], /--grace must be a number of minutes/],
      [['server', 'set', 'Acme/DC01', '--format', 'tar'], /--format must be one of/],
      [['server', 'set', 'nope'], /Server "nope" does not exist/],
      [['server', 'pause', 'Acme/DC01'], /--reason/],
      [['server', 'pause', 'Acme/DC01', '--reason', 'moving', '--until', 'next week'], /--until must be a date/],
      [['server', 'resume', 'Acme/DC01'], /is not paused/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect((await cli(['server', 'rename', 'Acme/DC01', 'dc01-old'])).out).toMatch(/Renamed "DC01" to "dc01-old"/);
    const paused = await cli(['server', 'pause', 'dc01-old', '--reason', 'replaced by dc02', '--until', '2099-01-31']);
    expect(paused.out).toMatch(/Paused "dc01-old" until 2099-01-31/);
    const status = JSON.parse((await cli(['status', '--json'])).out) as Array<{ server: string; status: string }>;
    expect(status.find((s) => s.server === 'dc01-old')!.status).toBe('paused');
    expect((await cli(['server', 'list'])).out).toMatch(/dc01-old[^\n]+paused until 2099-01-31[^\n]*replaced by dc02/);
    expect((await cli(['server', 'resume', 'dc01-old'])).out).toMatch(/Resumed/);
    const removed = await cli(['server', 'remove', 'dc01-old']);
    expect(removed.out).toMatch(/token no longer works/);
    expect((await cli(['server', 'list'])).out).not.toMatch(/dc01-old/);
    expect((await cli(['server', 'list', '--all'])).out).toMatch(/dc01-old[^\n]+removed/);
    expect((await cli(['server', 'remove', 'dc01-old'])).err).toMatch(/was removed on/);
  });

  it('shows history per day and status by a loose name, with the acknowledgement and the state', async () => {
    await store('fs01', fixture('code23-unreadable-file.log'));
    const history = await cli(['history', 'fs01', '3']);
    expect(history.code).toBe(0);
    expect(history.out.split('\n')[1]).toMatch(/^\d{4}-\d{2}-\d{2}\s{2}failed 23$/);
    const json = JSON.parse((await cli(['history', 'fs01', '--json'])).out) as { days: unknown[] };
    expect(json.days).toHaveLength(14);
    expect((await cli(['history', 'fs01', 'many'])).err).toMatch(/DAYS must be a whole number/);
    const loose = await cli(['status', 'fs0']);
    expect(loose.code).toBe(0);
    expect(loose.err).toMatch(/showing "Acme\/fs01" for "fs0"/);
    expect(loose.out).toMatch(/^fs01 \(Acme\) — FAILED, rsync 23: Partial transfer/);
    const statusJson = JSON.parse((await cli(['status', 'fs01', '--json'])).out) as { status: string; acknowledgement: unknown };
    expect(statusJson.status).toBe('failed');
    expect(statusJson.acknowledgement).toBeNull();
  });

  it('shows which recent file errors a new exception matches, and warns when it matches none', async () => {
    const good = await cli(['exception', 'add', '**/docs/secret.txt', '--server', 'fs01', '--reason', 'kept in the vault']);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/It matches 1 of the 1 failing paths[^\n]*\n {2}\/tmp\/bbfx\/code23-unreadable-file\/src\/docs\/secret\.txt/);
    // "*" stops at "/", so this whole-path pattern matches nothing: caught when it is written.
    const silent = await cli(['exception', 'add', '*/docs/secret.txt', '--server', 'fs01', '--reason', 'kept in the vault']);
    expect(silent.code).toBe(0);
    expect(silent.err).toMatch(/warning: The pattern "\*\/docs\/secret\.txt" matches none of the 1 failing paths[^\n]+"\*\*\/"/);
  });
});
