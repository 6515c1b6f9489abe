import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createParser } from '../../src/parsers/index.ts';
import type { ParsedReport } from '../../src/parsers/types.ts';

const ROOT = join(import.meta.dirname, '../fixtures');
const log = (tool: string, name: string) => readFileSync(join(ROOT, tool, `${name}.log`));

function parse(bytes: Buffer, watchPaths: string[], cuts: number[] = []): ParsedReport {
  const parser = createParser('auto', { watchPaths });
  let last = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    parser.push(bytes.subarray(last, cut));
    last = cut;
  }
  parser.push(bytes.subarray(last));
  return parser.end();
}

describe('canary paths (watchPaths -> seenPaths)', () => {
  it('finds a listed file in each tool\'s file list, and not one the log never names', () => {
    expect(parse(log('rsync', 'ok-verbose'), ['docs/report.txt', 'nowhere/canary.txt']).seenPaths).toEqual(['docs/report.txt']);
    expect(parse(log('restic', 'ok-verbose'), ['photos 2024/IMG_0001.jpg', 'nowhere/canary.txt']).seenPaths).toEqual(['photos 2024/IMG_0001.jpg']);
    expect(parse(log('borg', 'ok-stats-list-show-rc'), ['src/docs/report.txt']).seenPaths).toEqual(['src/docs/report.txt']);
    expect(parse(log('tsm', 'sched-ok-us-dates'), ['/srv/share/Finance/budget 2026.xlsx']).seenPaths).toEqual(['/srv/share/Finance/budget 2026.xlsx']);
  });

  it('does not count a file the tool failed on, however often the log names it', () => {
    expect(parse(log('borg', 'rc1-unreadable'), ['src/docs/report.txt', 'src/docs/meeting notes.txt']).seenPaths).toEqual(['src/docs/meeting notes.txt']);
    expect(parse(log('tsm', 'sched-rc12-denied-in-use'), ['/srv/db/erp.mdf']).seenPaths).toEqual([]);
  });

  it('finds the path in a UTF-16 log and wherever the chunks are cut', () => {
    const bytes = log('rsync', 'utf16le-bom-ok-stats');
    const whole = parse(bytes, ['docs/report.txt']);
    expect(whole.seenPaths).toEqual(['docs/report.txt']);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        expect(parse(bytes, ['docs/report.txt'], cuts)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves seenPaths out when no canary is asked for', () => {
    expect(parse(log('rsync', 'ok-verbose'), []).seenPaths).toEqual([]);
    const parser = createParser('auto');
    parser.push(log('rsync', 'ok-verbose'));
    expect(parser.end().seenPaths).toBeUndefined();
  });
});
