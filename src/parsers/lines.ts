import { scanLines } from './simd-scan.ts';

/**
 * Cuts a byte stream into lines for every parser (rsync, restic, borg, TSM): the caller
 * gets each line as a slice of the buffer it came in, so a line that is not interesting
 * costs no decoding and no copy. Only a line split across two chunks is copied (and cut at
 * MAX_LINE_BYTES, so one endless line cannot grow memory).
 *
 * A parser that ignores most lines (rsync's file list: a million names that are only
 * counted) can also pass a table of the two-byte starts it ignores: such lines are counted
 * inside the loop that finds them, without a call per line, and `lastSkipped` says where
 * the last one was.
 */
export const MAX_LINE_BYTES = 16 * 1024;
/**
 * Chunk sizes the WebAssembly scan takes (simd-scan.ts): below, its copy of the chunk
 * costs more than it saves; above, memory the module kept would stay that big for good.
 */
const SIMD_MIN_BYTES = 16 * 1024;
const SIMD_MAX_BYTES = 8 * 1024 * 1024;
const NL = 0x0a;
const CR = 0x0d;

/** Called with [start, end) of one line, without its line ending; lineNo is 1-based. */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;

/**
 * Indexed by a line's first two bytes (first << 8 | second): 1 = the parser ignores such a
 * line. Only lines of two bytes or more (line ending included) in one chunk are skipped;
 * the others all reach the handler. See skipTable().
 */
export type SkipTable = Uint8Array;

export interface LineSplitter {
  push(chunk: Uint8Array): void;
  /** Delivers the last line if it had no newline; returns the number of lines. */
  end(): number;
  /** Bytes pushed so far. */
  readonly bytes: number;
  /** True once a NUL byte was seen (binary data). */
  readonly sawNul: boolean;
  /** The number of the last line the skip table let pass without a call (0: none). */
  readonly lastSkipped: number;
  /**
   * Stops scanning chunks for NUL bytes (one pass over every byte): for a parser that has
   * seen enough to know the input is its tool's text. sawNul then covers what came before.
   */
  stopNulScan(): void;
}

/**
 * A skip table that ignores every line except those starting with one of `prefixes` (only
 * their first two bytes count; the handler still checks the whole prefix) or with a first
 * byte in `keepFirst` (any second byte).
 */
export function skipTable(prefixes: readonly string[], keepFirst: readonly number[] = []): SkipTable {
  const table = new Uint8Array(65536).fill(1);
  for (const p of prefixes) table[(p.charCodeAt(0) << 8) | p.charCodeAt(1)] = 0;
  for (const b of keepFirst) table.fill(0, b << 8, (b + 1) << 8);
  return table;
}

export interface SplitterOptions {
  /** Let big chunks go through the WebAssembly scan when it can run (default true). */
  simd?: boolean;
}

export function createLineSplitter(onLine: LineHandler, skip?: SkipTable, options: SplitterOptions = {}): LineSplitter {
  const simd = options.simd ?? true;
  let carry: Buffer | null = null;
  let lineNo = 0;
  let bytes = 0;
  let sawNul = false;
  let lastSkipped = 0;
  let scanNul = true;

  function deliver(buf: Buffer, start: number, end: number): void {
    emit(buf, start, end, ++lineNo);
  }

  function emit(buf: Buffer, start: number, end: number, n: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    onLine(buf, start, end, n);
  }

  /** A kept line from the WebAssembly scan, `end` at its newline: cut as the loop below cuts. */
  function emitScanned(buf: Buffer, start: number, end: number, n: number): void {
    emit(buf, start, end - start > MAX_LINE_BYTES ? start + MAX_LINE_BYTES : end, n);
  }

  return {
    get bytes() {
      return bytes;
    },
    get sawNul() {
      return sawNul;
    },
    get lastSkipped() {
      return lastSkipped;
    },
    stopNulScan() {
      scanNul = false;
    },
    push(chunk) {
      if (chunk.length === 0) return;
      bytes += chunk.length;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      if (scanNul && !sawNul && buf.indexOf(0) !== -1) sawNul = true;
      let pos = 0;
      let nl = buf.indexOf(NL);
      if (carry !== null) {
        const take = nl === -1 ? buf.length : nl;
        const room = MAX_LINE_BYTES - carry.length;
        if (room > 0) carry = Buffer.concat([carry, buf.subarray(0, Math.min(take, room))]);
        if (nl === -1) return;
        const line = carry;
        carry = null;
        deliver(line, 0, line.length);
        pos = nl + 1;
        nl = buf.indexOf(NL, pos);
      }
      if (skip === undefined) {
        while (nl !== -1) {
          deliver(buf, pos, Math.min(nl, pos + MAX_LINE_BYTES));
          pos = nl + 1;
          nl = buf.indexOf(NL, pos);
        }
      } else {
        const rest = buf.length - pos;
        const scanned = simd && nl !== -1 && rest >= SIMD_MIN_BYTES && rest <= SIMD_MAX_BYTES ? scanLines(buf, pos, skip, lineNo, lastSkipped, emitScanned) : null;
        if (scanned !== null) {
          lineNo = scanned.lineNo;
          lastSkipped = scanned.lastSkipped;
          pos = scanned.rest;
          nl = -1;
        }
        // The hot loop of a big log (where WebAssembly is missing, or for small chunks): most
        // lines end here, counted without a call.
        while (nl !== -1) {
          if (nl - pos >= 2 && skip[(buf[pos]! << 8) | buf[pos + 1]!] === 1) lastSkipped = ++lineNo;
          else deliver(buf, pos, nl - pos > MAX_LINE_BYTES ? pos + MAX_LINE_BYTES : nl);
          pos = nl + 1;
          nl = buf.indexOf(NL, pos);
        }
      }
      if (pos < buf.length) {
        // A copy: the caller may reuse its buffer once push() returns.
        carry = Buffer.from(buf.subarray(pos, Math.min(buf.length, pos + MAX_LINE_BYTES)));
      }
    },
    end() {
      if (carry !== null) {
        const line = carry;
        carry = null;
        deliver(line, 0, line.length);
      }
      return lineNo;
    },
  };
}

const decoder = new TextDecoder('utf-8');
export function textOf(buf: Buffer, start: number, end: number): string {
  return decoder.decode(buf.subarray(start, end));
}
