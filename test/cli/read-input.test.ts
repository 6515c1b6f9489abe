import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileChunks } from '../../src/cli/read-input.ts';

const dir = mkdtempSync(join(tmpdir(), 'backupbot-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileChunks', () => {
  it('hands out every byte of a file several pieces long, in order, while reading ahead', async () => {
    // 3.5 MiB: four pieces, so both buffers are refilled while the other is in use.
    const bytes = randomBytes(3.5 * 1024 * 1024);
    const file = join(dir, 'big.bin');
    writeFileSync(file, bytes);
    const copies: Buffer[] = [];
    for await (const piece of readFileChunks(file)) copies.push(Buffer.from(piece));
    expect(copies.map((c) => c.length)).toEqual([1048576, 1048576, 1048576, 524288]);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
  });

  it('yields nothing for an empty file and stops cleanly when the caller stops early', async () => {
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    const pieces: Uint8Array[] = [];
    for await (const piece of readFileChunks(empty)) pieces.push(piece);
    expect(pieces).toEqual([]);
    const big = join(dir, 'big.bin');
    for await (const piece of readFileChunks(big)) {
      expect(piece.length).toBe(1048576);
      break;
    }
  });
});
