import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { openDatabase } from '../../src/db/client.ts';
import { ingestReport } from '../../src/reports/ingest.ts';
import { findServer } from '../../src/fleet/servers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bb-admin-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-unreadable-file.log'));

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { env: { DATA_DIR: dataDir }, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
  return { code, out, err };
}

describe('backupbot exception and reparse (admin CLI)', () => {
  it('adds an exception, reparses to apply it, lists and removes it, and audits each step', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    expect((await cli(['customer', 'add', 'Acorn'])).code).toBe(0);
    expect((await cli(['server', 'add', 'Acorn', 'fs01'])).code).toBe(0);
    // Store a failing report straight through the ingest service.
    const database = await openDatabase({ dataDir });
    try {
      const server = (await findServer(database.db, 'fs01'))!;
      const outcome = await ingestReport(database.db, server, Readable.from([log]), { format: 'auto', exitCode: 23, startedAt: null, finishedAt: null }, 1e9);
      expect(outcome.verdict.status).toBe('failed');
    } finally {
      await database.close();
    }

    const missingReason = await cli(['exception', 'add', 'secret.txt', '--server', 'fs01']);
    expect(missingReason.code).toBe(2);
    expect(missingReason.err).toMatch(/--reason/);
    const everything = await cli(['exception', 'add', '*', '--server', 'fs01', '--reason', 'nope']);
    expect(everything.code).toBe(2);
    expect(everything.err).toMatch(/would match every file/);

    const added = await cli(['exception', 'add', 'SECRET.TXT', '--server', 'fs01', '--reason', 'backed up by the app itself', '--json']);
    expect(added.code).toBe(0);
    const row = JSON.parse(added.out) as { id: number; state: string; createdBy: string };
    expect(row.state).toBe('active');
    expect(row.createdBy).toMatch(/^cli:/);

    const nothing = await cli(['reparse']);
    expect(nothing.code).toBe(2);
    const reparsed = await cli(['reparse', '--server', 'fs01']);
    expect(reparsed.code).toBe(0);
    expect(reparsed.out).toMatch(/1 of 1 result changed: failed → ok \(1\)/);
    const status = JSON.parse((await cli(['status', 'fs01', '--json'])).out) as { latest: { status: string; fileErrors: Array<{ excepted: boolean }> } };
    expect(status.latest.status).toBe('ok');
    expect(status.latest.fileErrors.every((e) => e.excepted)).toBe(true);

    const list = await cli(['exception', 'list', '--server', 'fs01']);
    expect(list.out).toMatch(/SECRET\.TXT\s+server\s+active/);
    expect((await cli(['exception', 'remove', String(row.id)])).code).toBe(0);
    expect((await cli(['exception', 'remove', String(row.id)])).err).toMatch(/already removed/);
    expect((await cli(['exception', 'list'])).out).toBe('No exceptions.\n');

    const rotated = await cli(['server', 'rotate-token', 'fs01']);
    expect(rotated.code).toBe(0);
    const db2 = await openDatabase({ dataDir });
    try {
      const { auditEntries } = await import('../../src/audit.ts');
      const actions = (await auditEntries(db2.db)).map((a) => a.action).sort();
      expect(actions).toEqual(['exception.add', 'exception.remove', 'reparse', 'token.rotate']);
    } finally {
      await db2.close();
    }
  });
});
