import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineSplitter, MAX_LINE_BYTES, skipTable, type SkipTable } from '../../src/parsers/lines.ts';
import { LINES_WASM } from '../../src/parsers/lines-wasm.ts';
import { scanLines } from '../../src/parsers/simd-scan.ts';
// @ts-expect-error: a plain JavaScript build script, without type declarations
import { assembleLinesWasm } from '../../scripts/assemble-wasm.js';

const ROOT = join(import.meta.dirname, '../..');

/** What a splitter hands over and reports, as plain data. */
function split(input: Buffer, cuts: number[], skip: SkipTable, simd: boolean) {
  const lines: [string, number][] = [];
  const s = createLineSplitter((buf, start, end, n) => lines.push([buf.toString('latin1', start, end), n]), skip, { simd });
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    s.push(input.subarray(at, cut));
    at = cut;
  }
  const count = s.end();
  return { lines, count, lastSkipped: s.lastSkipped, bytes: s.bytes, sawNul: s.sawNul };
}

/** Real-looking rsync output and the awkward cases, as lines joined by \n (or \r\n). */
const line = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z]{1,8}(\/[a-zA-Z0-9 ._-]{1,20}){0,4}\/?$/) },
  fc.constantFrom('rsync: [sender] send_files failed to open "/srv/a b.pst": Permission denied (13)', 'deleting home/old.txt', 'sent 1,234 bytes  received 56 bytes', 'total size is 9  speedup is 1.00', 'x', '', '\r', ' progress 10%\rrsync: error'),
  fc.string({ minLength: 0, maxLength: 40 }),
  fc.integer({ min: MAX_LINE_BYTES - 2, max: MAX_LINE_BYTES + 40 }).map((n) => 'L'.repeat(n)),
);
const log = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 3000 }), fc.boolean(), fc.boolean())
  .map(([lines, crlf, endsWithNewline]) => Buffer.from(lines.join(crlf ? '\r\n' : '\n') + (endsWithNewline ? '\n' : ''), 'utf8'));
/** Cut points: mostly big pieces (the WebAssembly scan takes 16 KiB and up), some tiny. */
const cutsOf = (input: Buffer) =>
  fc.array(fc.oneof(fc.integer({ min: 0, max: input.length }), fc.constant(Math.min(input.length, 1))), { maxLength: 6 }).map((cs) => [...new Set(cs)].sort((a, b) => a - b));
const RSYNC_LIKE = skipTable(['rs', 'de', 'se', 'to', 'Nu'], [0x20, 0x0d, 0x5b]);

describe('the WebAssembly line scan', () => {
  it('is the assembly of src/parsers/lines.wat (run node scripts/build-wasm.js after changing it)', async () => {
    const bytes = (await assembleLinesWasm(readFileSync(join(ROOT, 'src/parsers/lines.wat'), 'utf8'))) as Uint8Array;
    expect(Buffer.from(bytes).toString('base64')).toBe(LINES_WASM);
  });

  it('runs on this Node (WebAssembly with SIMD), so the tests below compare two real paths', () => {
    const chunk = Buffer.from('a\nbb\n');
    const seen: number[] = [];
    const r = scanLines(chunk, 0, skipTable([]), 0, 0, (_buf, _s, _e, n) => seen.push(n));
    expect(r).toEqual({ lineNo: 2, lastSkipped: 2, rest: chunk.length });
    // 'a' (one byte) is always kept; 'bb' is skipped by a table that keeps nothing.
    expect(seen).toEqual([1]);
  });

  it('splits exactly as the JavaScript loop: lines, numbers, skipped lines, bytes (property)', () => {
    fc.assert(
      fc.property(
        log.chain((input) => fc.tuple(fc.constant(input), cutsOf(input))),
        fc.constantFrom(RSYNC_LIKE, skipTable([]), new Uint8Array(65536)),
        ([input, cuts], table) => {
          expect(split(input, cuts, table, true)).toEqual(split(input, cuts, table, false));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('resumes when more than 4,096 kept lines come in one chunk', () => {
    // 40,000 one-byte lines (always kept) in one 80 KB chunk, then a tail without a newline.
    const input = Buffer.from('x\n'.repeat(40_000) + 'rsync: end');
    const a = split(input, [], RSYNC_LIKE, true);
    expect(a.count).toBe(40_001);
    expect(a.lines.at(-2)).toEqual(['x', 40_000]);
    expect(a).toEqual(split(input, [], RSYNC_LIKE, false));
  });
});
