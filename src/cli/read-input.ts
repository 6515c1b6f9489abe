import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

const READ_BYTES = 1024 * 1024;

/**
 * A file's bytes in 1 MiB pieces read into one reused buffer. Each piece is valid only
 * until the next is read: the parser copies what it keeps. (A read stream allocates a
 * fresh buffer per piece, which costs more than the parsing on a large log.)
 */
export async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, READ_BYTES, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

export function readInput(file: string, stdin: Readable): AsyncIterable<Uint8Array> {
  return file === '-' ? (stdin as AsyncIterable<Uint8Array>) : readFileChunks(file);
}
