import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { createParser, describeCode, documentedCodes } from '../../src/parsers/index.ts';
import { isExceptable, type ParsedReport } from '../../src/parsers/types.ts';
import { classify } from '../../src/reports/classify.ts';

/**
 * Every fixture of every tool through `backupbot parse FILE --json`, detected (auto) and
 * forced. rsync, restic and borg fixtures are real output with the exit code the shell saw;
 * TSM fixtures are built from IBM's documented formats and carry the code they prove.
 */
interface Fixture {
  scenario: string;
  exitCode: number | null;
  signal?: string | null;
  expectedCode?: number;
  failingPaths?: string[];
  expectedFilesInspected?: number;
}

const ROOT = join(import.meta.dirname, '../fixtures');
const TOOLS = ['rsync', 'tsm', 'restic', 'borg'] as const;

const fixtures = TOOLS.flatMap((tool) =>
  readdirSync(join(ROOT, tool))
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const name = f.replace(/\.json$/, '');
      const file = join(ROOT, tool, `${name}.log`);
      return { tool, name, file, meta: JSON.parse(readFileSync(join(ROOT, tool, f), 'utf8')) as Fixture, log: readFileSync(file) };
    }),
);

/**
 * What the log proves: the tool's own code, except when the run was killed before it could
 * say anything (SIGKILL), or said nothing at all (an empty log proves nothing, exit 0 or not).
 */
function expectedCode(f: (typeof fixtures)[number]): number {
  if (f.meta.expectedCode !== undefined) return f.meta.expectedCode;
  if (f.meta.signal === 'KILL' || f.log.length === 0) return -2;
  return f.meta.exitCode!;
}

/** A dry run whose code is ok is `suspect` (issue 10): nothing was copied. */
function expectedStatus(tool: string, code: number, dryRun = false): string {
  if (code === -2) return 'incomplete';
  if (code === 0 || (tool === 'rsync' && code === 24)) return dryRun ? 'suspect' : 'ok';
  return 'failed';
}

interface ParseJson {
  format: string;
  code: number;
  status: string;
  fileErrors: Array<{ path: string; kind: string; excepted: boolean }>;
  stats: Record<string, unknown>;
  hint: string;
}

async function parseJson(file: string, format?: string): Promise<ParseJson> {
  let out = '';
  let err = '';
  const args = ['parse', file, '--json', ...(format ? ['--format', format] : [])];
  const code = await main(args, { env: {}, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
  expect(code, err).toBe(0);
  return JSON.parse(out) as ParseJson;
}

function parseWith(tool: string, log: Buffer, isExcepted: (p: string) => boolean): ParsedReport {
  const parser = createParser(tool, { isExcepted });
  parser.push(log);
  return parser.end();
}

describe('every fixture of every tool, via backupbot parse --json', () => {
  it('has fixtures for all four tools, including a failure and a -2 for each', () => {
    for (const tool of TOOLS) {
      const codes = fixtures.filter((f) => f.tool === tool).map(expectedCode);
      expect(codes, tool).toContain(0);
      expect(codes, tool).toContain(-2);
      expect(codes.some((c) => c > 0), tool).toBe(true);
    }
  });

  for (const mode of ['auto', 'forced'] as const) {
    it.each(fixtures.map((f) => [`${f.tool}/${f.name}`, f] as const))(`${mode}: %s`, async (_label, f) => {
      const want = expectedCode(f);
      const j = await parseJson(f.file, mode === 'forced' ? f.tool : undefined);
      // An empty log names no tool; detection can only say so.
      expect(j.format).toBe(mode === 'auto' && f.log.length === 0 ? 'unknown' : f.tool);
      expect(j.code, f.meta.scenario).toBe(want);
      if (want >= 0) expect(documentedCodes(f.tool)).toContain(want);
      // The dry-run fixtures are named so; the parser must see it too.
      const dryRun = f.name.includes('dry-run');
      expect(j.stats.dryRun === true, 'stats.dryRun').toBe(dryRun);
      expect(j.status).toBe(expectedStatus(f.tool, want, dryRun));
      const paths = j.fileErrors.map((e) => e.path);
      for (const p of f.meta.failingPaths ?? []) expect(paths, `failing path ${JSON.stringify(p)}`).toContain(p);
      if (f.meta.expectedFilesInspected !== undefined) expect(j.stats.filesInspected).toBe(f.meta.expectedFilesInspected);
      expect(j.hint.length).toBeGreaterThan(10);
    });
  }
});

describe('partial codes and exceptions, for every tool', () => {
  const partial = fixtures.filter((f) => {
    const code = expectedCode(f);
    return code > 0 && describeCode(f.tool, code).outcome === 'partial' && (f.meta.failingPaths ?? []).length > 0;
  });

  it('has a partial-code fixture with named files for every tool', () => {
    expect(new Set(partial.map((f) => f.tool))).toEqual(new Set(TOOLS));
  });

  it.each(partial.map((f) => [`${f.tool}/${f.name}`, f] as const))('%s is ok by exceptions once every failing file is excepted, unless a source itself is missing', (_label, f) => {
    const before = classify(parseWith(f.tool, f.log, () => false));
    expect(before.status).toBe('failed');
    const all = parseWith(f.tool, f.log, () => true);
    const sourceErrors = all.fileErrors.filter((e) => !isExceptable(e.kind));
    // A missing or unreadable backup source is not a per-file problem: no exception covers it.
    expect(all.fileErrors.every((e) => e.excepted === isExceptable(e.kind))).toBe(true);
    const after = classify(all);
    if (sourceErrors.length === 0) expect(after).toMatchObject({ status: 'ok', okByExceptions: true });
    else expect(after).toMatchObject({ status: 'failed', reason: expect.stringMatching(/fix the source path/) });
  });

  it('keeps a failed code failed even when every file is excepted (TSM 12, rsync 11)', () => {
    const tsm12 = fixtures.find((f) => f.tool === 'tsm' && f.name === 'sched-rc12-denied-in-use')!;
    expect(classify(parseWith('tsm', tsm12.log, () => true)).status).toBe('failed');
  });
});
