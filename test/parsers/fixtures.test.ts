import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRsync } from '../../src/parsers/rsync/parser.ts';
import { documentedCodes } from '../../src/parsers/index.ts';

const RSYNC_CODES = documentedCodes('rsync');
import { classify } from '../../src/reports/classify.ts';

/** Real rsync output made by test/fixtures/rsync/generate.sh, with the exit code rsync really returned. */
interface Fixture {
  scenario: string;
  exitCode: number | null;
  signal?: string | null;
  expectedCode?: number;
  failingPaths?: string[];
  vanishedPaths?: string[];
}

const DIR = join(import.meta.dirname, '../fixtures/rsync');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  // UTF-16 copies (utf16.sh) need the shared decoding layer: encoding.test.ts and all-tools.test.ts read them.
  .filter((f) => !f.startsWith('utf16'))
  .map((f) => {
    const name = f.replace(/\.json$/, '');
    return { name, meta: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture, log: readFileSync(join(DIR, `${name}.log`)) };
  });

/** What the parser must say: rsync's own code when it exited by itself, -2 when it was killed before it could say. */
function expectedCode(meta: Fixture): number {
  if (meta.expectedCode !== undefined) return meta.expectedCode;
  if (meta.signal === 'KILL') return -2;
  return meta.exitCode!;
}

describe('real rsync fixtures', () => {
  it('cover every exit code we could make rsync produce, plus a kill -9', () => {
    const codes = new Set(fixtures.map((f) => expectedCode(f.meta)));
    for (const code of [0, 1, 2, 3, 4, 5, 10, 11, 12, 14, 19, 20, 22, 23, 24, 25, 30, 35, 126, 127, 255, -2]) {
      expect(codes, `code ${code}`).toContain(code);
    }
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, { meta, log }) => {
    const parsed = parseRsync(log);
    const want = expectedCode(meta);
    expect(parsed.code, meta.scenario).toBe(want);
    if (want >= 0) expect(RSYNC_CODES).toContain(want);
    const verdict = classify(parsed, meta.exitCode);
    const expectedStatus = want === -2 ? 'incomplete' : want === 0 || want === 24 ? 'ok' : 'failed';
    // 23 with only vanished files is ok; the fixtures' 23s all have a real failure.
    expect(verdict.status).toBe(expectedStatus);
    const paths = parsed.fileErrors.filter((e) => e.kind !== 'vanished').map((e) => e.path);
    for (const p of meta.failingPaths ?? []) expect(paths, `failing path ${JSON.stringify(p)}`).toContain(p);
    const vanished = parsed.fileErrors.filter((e) => e.kind === 'vanished').map((e) => e.path);
    for (const p of meta.vanishedPaths ?? []) expect(vanished).toContain(p);
  });
});
