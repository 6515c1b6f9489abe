import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRsyncParser, parseRsync } from '../../src/parsers/rsync/parser.ts';
import type { ParsedReport } from '../../src/parsers/types.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/rsync');
const fixtureLogs = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log'))
  .map((f) => readFileSync(join(FIXTURES, f)));

/** Feeds the bytes in pieces cut at the given offsets. */
function parseInChunks(bytes: Uint8Array, cuts: number[]): ParsedReport {
  const parser = createRsyncParser();
  let last = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    parser.push(bytes.subarray(last, cut));
    last = cut;
  }
  parser.push(bytes.subarray(last));
  return parser.end();
}

/** Lines that look like rsync output, mixed with arbitrary junk. */
const rsyncish = fc
  .tuple(
    fc.array(
    fc.oneof(
      fc.constantFrom(
        'sending incremental file list',
        'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec',
        'total size is 1,234  speedup is 0.02',
        'rsync: [sender] send_files failed to open "/s/a\\#012b": Permission denied (13)',
        'file has vanished: "/s/gone"',
        'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
        'rsync error: received SIGUSR1 (code 19) at main.c(1613) [generator=3.2.7]',
        'rsync warning: some files vanished before they could be transferred (code 24) at main.c(1338) [sender=3.2.7]',
        '',
        '\r',
      ),
      fc.string({ maxLength: 40 }),
    ),
      { maxLength: 40 },
    ),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([ls, sep]) => Buffer.from(ls.join(sep), 'utf8'));

describe('rsync parser properties', () => {
  it('never throws on arbitrary bytes and always gives a code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const r = parseRsync(bytes);
        expect(Number.isInteger(r.code)).toBe(true);
        expect(r.bytes).toBe(bytes.length);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same verdict however rsync-like input is cut into chunks', () => {
    fc.assert(
      fc.property(rsyncish, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        expect(parseInChunks(bytes, cuts)).toEqual(parseRsync(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same verdict for every real fixture cut into random chunks', () => {
    expect(fixtureLogs.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.constantFrom(...fixtureLogs), fc.array(fc.nat(), { maxLength: 30 }), (bytes, cuts) => {
        expect(parseInChunks(bytes, cuts)).toEqual(parseRsync(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same verdict for arbitrary bytes cut into chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        expect(parseInChunks(bytes, cuts)).toEqual(parseRsync(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
