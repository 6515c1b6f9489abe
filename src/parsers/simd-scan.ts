/**
 * The skip-table newline scan of lines.ts in WebAssembly with SIMD (lines.wat): for a big
 * chunk, the scan that costs one native `indexOf` call per line in JavaScript costs a few
 * vector instructions per 16 bytes here, and lines the table ignores never reach
 * JavaScript. The result is the same in every detail; test/parsers/lines-wasm.test.ts
 * compares the two on random input and random chunking.
 *
 * One instance serves the whole process: a scan runs from start to end inside one push()
 * (synchronous), and everything it needs is set at its start, so splitters can take turns.
 */
import type { SkipTable } from './lines.ts';
import { LINES_WASM } from './lines-wasm.ts';

/** Byte offsets in the module's memory; see lines.wat. */
const KEPT = 65536;
const STATE = 114688;
const DATA = 131072;
const MAX_KEPT = 4096;
/** The last vector load may read up to 15 bytes past the chunk. */
const SLACK = 16;
const PAGE = 65536;

/** The parts of the WebAssembly API used here (the TypeScript setup has no DOM types). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(code: Uint8Array): boolean;
  Module: new (code: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

interface Scanner {
  memory: WasmMemory;
  scan: (end: number) => number;
  /** Views of the memory, made again whenever it grows (growing detaches the old ones). */
  bytes: Buffer;
  words: Int32Array;
  /** The skip table now in memory. */
  table: SkipTable | null;
}

let scanner: Scanner | null | undefined;

/** The shared scanner, or null where WebAssembly SIMD is not available. */
function load(): Scanner | null {
  if (scanner !== undefined) return scanner;
  scanner = null;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    const code = Buffer.from(LINES_WASM, 'base64');
    if (!wasm || !wasm.validate(code)) return null;
    const { exports } = new wasm.Instance(new wasm.Module(code));
    const memory = exports.memory as WasmMemory;
    scanner = { memory, scan: exports.scan as (end: number) => number, bytes: Buffer.alloc(0), words: new Int32Array(0), table: null };
    refreshViews(scanner);
  } catch {
    // No WebAssembly here (or no SIMD): the JavaScript loop does the same work.
    scanner = null;
  }
  return scanner;
}

function refreshViews(s: Scanner): void {
  s.bytes = Buffer.from(s.memory.buffer);
  s.words = new Int32Array(s.memory.buffer);
}

export interface ScanResult {
  /** Lines counted so far (the last one delivered or skipped). */
  lineNo: number;
  lastSkipped: number;
  /** Index in the chunk where the unfinished last line starts (chunk length: none). */
  rest: number;
}

/**
 * Scans chunk[from, end) as lines.ts's skip-table loop does: lines the table ignores are
 * counted, the others are handed to `kept` as (buffer, start, end, line number) with `end`
 * at the newline. The buffer is the module's memory, valid only during the call. Returns
 * null when WebAssembly SIMD is not available, leaving the work to the caller.
 */
export function scanLines(
  chunk: Buffer,
  from: number,
  skip: SkipTable,
  lineNo: number,
  lastSkipped: number,
  kept: (buf: Buffer, start: number, end: number, lineNo: number) => void,
): ScanResult | null {
  const s = load();
  if (s === null) return null;
  const length = chunk.length - from;
  const needed = DATA + length + SLACK;
  if (s.memory.buffer.byteLength < needed) {
    s.memory.grow(Math.ceil((needed - s.memory.buffer.byteLength) / PAGE));
    refreshViews(s);
  }
  if (s.table !== skip) {
    s.bytes.set(skip, 0);
    s.table = skip;
  }
  s.bytes.set(chunk.subarray(from), DATA);
  const state = STATE >> 2;
  s.words[state] = DATA;
  s.words[state + 1] = DATA;
  s.words[state + 2] = lineNo;
  s.words[state + 3] = lastSkipped;
  for (;;) {
    const n = s.scan(DATA + length);
    for (let i = 0, at = KEPT >> 2; i < n; i++, at += 3) kept(s.bytes, s.words[at]!, s.words[at + 1]!, s.words[at + 2]!);
    if (n < MAX_KEPT) break;
  }
  return { lineNo: s.words[state + 2]!, lastSkipped: s.words[state + 3]!, rest: from + (s.words[state]! - DATA) };
}
