/**
 * Cuts a byte stream into lines for the parsers that share it (restic, borg, TSM): the
 * caller gets each line as a slice of the buffer it came in, so a line that is not
 * interesting costs no decoding and no copy. Only a line split across two chunks is
 * copied (and cut at MAX_LINE_BYTES, so one endless line cannot grow memory).
 */
export const MAX_LINE_BYTES = 16 * 1024;
const NL = 0x0a;
const CR = 0x0d;

/** Called with [start, end) of one line, without its line ending; lineNo is 1-based. */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;

export interface LineSplitter {
  push(chunk: Uint8Array): void;
  /** Delivers the last line if it had no newline; returns the number of lines. */
  end(): number;
  /** Bytes pushed so far. */
  readonly bytes: number;
  /** True once a NUL byte was seen (binary data). */
  readonly sawNul: boolean;
}

export function createLineSplitter(onLine: LineHandler): LineSplitter {
  let carry: Buffer | null = null;
  let lineNo = 0;
  let bytes = 0;
  let sawNul = false;

  function deliver(buf: Buffer, start: number, end: number): void {
    lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    onLine(buf, start, end, lineNo);
  }

  return {
    get bytes() {
      return bytes;
    },
    get sawNul() {
      return sawNul;
    },
    push(chunk) {
      if (chunk.length === 0) return;
      bytes += chunk.length;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      if (!sawNul && buf.indexOf(0) !== -1) sawNul = true;
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
      while (nl !== -1) {
        deliver(buf, pos, Math.min(nl, pos + MAX_LINE_BYTES));
        pos = nl + 1;
        nl = buf.indexOf(NL, pos);
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
