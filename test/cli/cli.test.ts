import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { runCli } from '../helpers/process.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/rsync');
const dataDir = mkdtempSync(join(tmpdir(), 'bb-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the CLI in-process against an embedded database of its own. */
async function cli(args: string[], stdin = '') {
  let out = '';
  let err = '';
  const code = await main(args, {
    env: { DATA_DIR: dataDir },
    io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([Buffer.from(stdin)]) },
  });
  return { code, out, err };
}

describe('backupbot parse', () => {
  it('prints the spec JSON shape with the real failing paths', async () => {
    const r = await cli(['parse', join(FIXTURES, 'code23-unreadable-file.log'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { format: string; code: number; status: string; meaning: string; fileErrors: Array<{ path: string; kind: string; message: string; excepted: boolean }>; stats: object };
    expect(j).toMatchObject({ format: 'rsync', code: 23, status: 'failed' });
    expect(j.fileErrors.length).toBeGreaterThan(0);
    expect(Object.keys(j.fileErrors[0]!)).toEqual(expect.arrayContaining(['path', 'kind', 'message', 'excepted']));
    expect(j.stats).toBeTypeOf('object');
  });

  it('applies --exception globs and reads standard input', async () => {
    const log = 'rsync: [sender] send_files failed to open "/s/Mail/Outlook.pst": Permission denied (13)\nrsync error: x (code 23) at main.c(1) [sender=3.5.0]\n';
    const r = await cli(['parse', '-', '--exception', '*.PST', '--json'], log);
    expect(JSON.parse(r.out)).toMatchObject({ code: 23, status: 'ok', fileErrors: [{ path: '/s/Mail/Outlook.pst', excepted: true }] });
  });

  it('exits 2 with one clear line for bad usage and unreadable input', async () => {
    const missing = await cli(['parse', '/no/such/file.log']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^backupbot: Cannot read \/no\/such\/file\.log/);
    const badCode = await cli(['parse', '-', '--exit-code', 'seven']);
    expect(badCode.code).toBe(2);
    expect(badCode.err).toMatch(/--exit-code must be/);
    const badFormat = await cli(['parse', '-', '--format', 'tar']);
    expect(badFormat.code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command/);
  });
});

describe('backupbot customer/server/status', () => {
  it('adds servers, prints the token once, rotates it and shows status', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    expect((await cli(['customer', 'add', 'Acorn Dental'])).code).toBe(0);
    const dup = await cli(['customer', 'add', 'acorn dental']);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/already exists/);

    const added = await cli(['server', 'add', 'Acorn Dental', 'fs01', '--target', 'custbak2', '--schedule', '30 23 * * *', '--timezone', 'Europe/Oslo', '--json']);
    expect(added.code).toBe(0);
    const { token } = JSON.parse(added.out) as { token: string };
    expect(token).toMatch(/^bbt_/);

    const noCustomer = await cli(['server', 'add', 'Nobody Inc', 'fs02']);
    expect(noCustomer.code).toBe(2);
    expect(noCustomer.err).toMatch(/customer add/);
    const badCron = await cli(['server', 'add', 'Acorn Dental', 'fs03', '--schedule', 'every night']);
    expect(badCron.code).toBe(2);
    expect(badCron.err).toMatch(/not a valid cron/);

    const list = await cli(['server', 'list', '--json']);
    const servers = JSON.parse(list.out) as Array<Record<string, unknown>>;
    expect(servers).toEqual([expect.objectContaining({ name: 'fs01', customer: 'Acorn Dental', targetHost: 'custbak2', timezone: 'Europe/Oslo' })]);
    expect(list.out).not.toContain(token);

    const rotated = await cli(['server', 'rotate-token', 'FS01', '--json']);
    const newToken = (JSON.parse(rotated.out) as { token: string }).token;
    expect(newToken).not.toBe(token);

    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/fs01\s+Acorn Dental\s+waiting/);
    const unknown = await cli(['status', 'fs99']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/does not exist/);
  });
});

describe('npx backupbot', () => {
  it('runs from the bin with no build step', async () => {
    const r = await runCli(['parse', join(FIXTURES, 'ok-verbose.log'), '--json'], { DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 0, status: 'ok' });
  });

  it('names every bad environment variable in one error', async () => {
    const r = await runCli(['status'], { DATA_DIR: dataDir, PORT: 'eighty', TZ: 'Mars/Olympus' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PORT/);
    expect(r.stderr).toMatch(/TZ/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
