import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/process.ts';

const TRACE = join(import.meta.dirname, '../helpers/trace-packages.js');
const FIXTURE = join(import.meta.dirname, '../fixtures/rsync/ok-stats.log');
const ROOT = join(import.meta.dirname, '../..');
const HEAVY = ['@slack/bolt', '@slack/web-api', '@electric-sql/pglite', 'postgres', 'drizzle-orm', 'pino', 'zod'];

/** True when dist/.built is newer than every source file, as the bin decides. */
function buildIsCurrent(): boolean {
  const stamp = join(ROOT, 'dist', '.built');
  if (!existsSync(stamp)) return false;
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return sources.every((f) => statSync(join(ROOT, 'src', f)).mtimeMs <= statSync(stamp).mtimeMs);
}

/** Runs the bin and returns its exit status, stdout and the packages it loaded. */
function packagesLoaded(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const packages = new Set([...r.stderr.matchAll(/^package: (\S+)$/gm)].map((m) => m[1]!));
  return { status: r.status, stdout: r.stdout, packages };
}

// Every CLI command used to load Slack, both database drivers and drizzle before doing
// anything, which cost more than a second per command.
describe.each([
  ['as installed (compiled when dist/ is current)', {}],
  ['from the TypeScript sources', { BACKUPBOT_FROM_SOURCE: '1' }],
])('backupbot start-up %s', (_how, env: Record<string, string>) => {
  it('prints --help without loading Slack, the database drivers, drizzle, pino or zod', () => {
    const r = packagesLoaded(['--help'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('parse');
    // Commander is bundled into dist/bundle/cli.js by the build, so the trace sees it only
    // from the sources; the database test below shows that the trace sees packages at all.
    if (env.BACKUPBOT_FROM_SOURCE === '1') expect(r.packages.has('commander')).toBe(true);
    for (const name of HEAVY) expect(r.packages.has(name), `--help loaded ${name}`).toBe(false);
  });

  it('parses a log without loading Slack, the database drivers, drizzle, pino or zod', () => {
    const r = packagesLoaded(['parse', FIXTURE, '--json'], env);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'rsync', status: 'ok' });
    for (const name of HEAVY) expect(r.packages.has(name), `parse loaded ${name}`).toBe(false);
  });
});

describe('backupbot start-up with a database command', () => {
  it('still loads the database layer when a command needs it (the trace sees packages)', () => {
    const r = packagesLoaded(['server', 'list', '--json'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DB_CONNECT_TIMEOUT_MS: '500' });
    expect(r.packages.has('postgres')).toBe(true);
    expect(r.packages.has('zod')).toBe(true);
  });
});

describe('the compiled CLI', () => {
  it('runs the CommonJS bundle with the code cache the build saved (or the sources, once one is edited)', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env: { ...process.env, BACKUPBOT_TRACE_START: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // After npm ci (and so in CI) the build is current; while someone edits src/ without
    // rebuilding, the bin must run the sources instead of the stale bundle.
    if (buildIsCurrent()) expect(r.stderr).toMatch(/ran .*dist\/bundle\/cli\.cjs \(code cache: used\)/);
    else expect(r.stderr).not.toContain('dist/bundle');
  });

  it('still answers at the old bin path, src/bin/backupbot.js (systemd units written for it)', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../src/bin/backupbot.js'), 'parse', FIXTURE, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'rsync', status: 'ok' });
  });
});
