import { describe, expect, it } from 'vitest';
import { createLineSplitter, skipTable } from '../../src/parsers/lines.ts';

/** Splits text pushed in pieces of `size` bytes; returns the lines handed over and the splitter. */
function split(text: string, size: number, prefixes?: string[]) {
  const seen: Array<[number, string]> = [];
  const splitter = createLineSplitter((buf, start, end, lineNo) => seen.push([lineNo, buf.toString('utf8', start, end)]), prefixes ? skipTable(prefixes) : undefined);
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size));
  return { seen, count: splitter.end(), splitter };
}

describe('line splitter', () => {
  const text = 'keep 1\r\nskip 2\nkeep 3\nx\n\nskip 6\nkeep 7';

  it('hands over every line, CR removed, with 1-based numbers, however the input is cut', () => {
    for (const size of [1, 3, 1000]) {
      const { seen, count } = split(text, size);
      expect(count).toBe(7);
      expect(seen.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(seen[0]![1]).toBe('keep 1');
    }
  });

  it('counts lines whose first two bytes the skip table marks without handing them over', () => {
    const { seen, count, splitter } = split(text, 1000, ['ke']);
    expect(count).toBe(7);
    // Lines shorter than two bytes always reach the handler.
    expect(seen.map(([n, line]) => `${n}:${line}`)).toEqual(['1:keep 1', '3:keep 3', '4:x', '5:', '7:keep 7']);
    expect(splitter.lastSkipped).toBe(6);
  });

  it('hands over a skippable line that a chunk boundary cut in two, with its right number', () => {
    const { seen, count, splitter } = split(text, 3, ['ke']);
    expect(count).toBe(7);
    expect(seen.map(([n]) => n)).toContain(7);
    expect(seen.every(([n, line]) => line === '' || line === 'x' || line.endsWith(String(n)))).toBe(true);
    expect(splitter.lastSkipped).toBeLessThanOrEqual(6);
  });
});
