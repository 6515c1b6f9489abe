/**
 * The layer every log goes through before any tool's parser: logs written by PowerShell's
 * `>` (Windows PowerShell 5) are UTF-16 LE with a BOM, and other Windows tools write UTF-16
 * without one. They are turned into UTF-8 here, as a stream, so each parser only ever sees
 * UTF-8 (a UTF-8 BOM is dropped too). Recognised by the BOM, or else by NUL bytes in every
 * other position of the first bytes, which ASCII-heavy text in UTF-16 always has.
 */
import type { ParsedReport, StreamParser } from './types.ts';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** How many bytes to look at before deciding (less only when the log is shorter). */
const SNIFF_BYTES = 512;
/** The least a BOM-less log must have (in 16-bit units) to be taken for UTF-16. */
const MIN_PAIRS = 16;

/** Decides the encoding from the first bytes of a log. */
export function sniffEncoding(head: Uint8Array): { encoding: Encoding; bomBytes: number } {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomBytes: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomBytes: 2 };
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomBytes: 3 };
  const pairs = Math.floor(Math.min(head.length, SNIFF_BYTES) / 2);
  // Without a BOM, a handful of bytes is no evidence: binary junk has NULs too.
  if (pairs < MIN_PAIRS) return { encoding: 'utf-8', bomBytes: 0 };
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) evenNul++;
    if (head[2 * i + 1] === 0) oddNul++;
  }
  // Text in UTF-16 has a NUL in the high byte of nearly every character of a log (ASCII
  // dates, paths, keywords); binary junk has NULs in both positions.
  if (oddNul >= pairs * 0.6 && evenNul <= pairs * 0.1) return { encoding: 'utf-16le', bomBytes: 0 };
  if (evenNul >= pairs * 0.6 && oddNul <= pairs * 0.1) return { encoding: 'utf-16be', bomBytes: 0 };
  return { encoding: 'utf-8', bomBytes: 0 };
}

/** Turns UTF-16 chunks into UTF-8 chunks, keeping a split code unit or surrogate pair for the next chunk. */
function utf16Transcoder(bigEndian: boolean): (chunk: Uint8Array | null) => Buffer {
  const decoder = new TextDecoder('utf-16le', { fatal: false });
  let odd: number | null = null;
  return (chunk) => {
    if (chunk === null) return Buffer.from(decoder.decode(), 'utf8');
    let bytes = Buffer.from(chunk);
    if (bigEndian) {
      if (odd !== null) bytes = Buffer.concat([Uint8Array.of(odd), bytes]);
      odd = null;
      if (bytes.length % 2 === 1) {
        odd = bytes[bytes.length - 1]!;
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      bytes.swap16();
    }
    return Buffer.from(decoder.decode(bytes, { stream: true }), 'utf8');
  };
}

/**
 * Wraps a parser so it receives UTF-8 whatever the log's encoding. The report's byte count
 * stays the one of the upload; a decoded log says so in its messages.
 */
export function withDecoding(inner: StreamParser): StreamParser {
  let head: Buffer[] | null = [];
  let headBytes = 0;
  let rawBytes = 0;
  let encoding: Encoding = 'utf-8';
  let transcode: ((chunk: Uint8Array | null) => Buffer) | null = null;

  function forward(chunk: Uint8Array): void {
    if (transcode) {
      const out = transcode(chunk);
      if (out.length > 0) inner.push(out);
    } else if (chunk.length > 0) inner.push(chunk);
  }

  function decide(): void {
    const all = Buffer.concat(head!);
    head = null;
    const sniffed = sniffEncoding(all);
    encoding = sniffed.encoding;
    if (encoding !== 'utf-8') transcode = utf16Transcoder(encoding === 'utf-16be');
    forward(all.subarray(sniffed.bomBytes));
  }

  return {
    push(chunk) {
      rawBytes += chunk.length;
      if (head === null) return forward(chunk);
      // Copy: the caller may reuse its buffer after push() returns.
      head.push(Buffer.from(chunk));
      headBytes += chunk.length;
      if (headBytes >= SNIFF_BYTES) decide();
    },
    end(): ParsedReport {
      if (head !== null) decide();
      if (transcode) {
        const rest = transcode(null);
        if (rest.length > 0) inner.push(rest);
      }
      const report = inner.end();
      report.bytes = rawBytes;
      if (encoding !== 'utf-8') {
        const what = encoding === 'utf-16le' ? "UTF-16 LE (as Windows PowerShell's > writes it)" : 'UTF-16 BE';
        report.messages = [`The log is ${what}; it was decoded and read as text.`, ...report.messages];
      }
      return report;
    },
  };
}
