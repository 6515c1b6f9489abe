import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { inArray } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';
import { reports } from '../../src/db/schema.ts';

/**
 * Fault injection for the upload endpoint: hostile requests written byte by byte to a real
 * socket, each checked for an answer. Used by the CI test (a few hundred requests) and by
 * `npm run soak` (ten thousand and more).
 */

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}
type Rng = ReturnType<typeof rng>;

const ODD_VALUES = [
  '', ' ', '0', '1', '-1', '23', '255', '4294967295', '4294967296', '-2147483649', '1e3', '0x17', '%RC%', '$?', 'NaN',
  '2026-11-23T02:15:00Z', '2026-11-23T02:15:00', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '99999999999',
  '1700000000', 'yesterday', '2026-02-31T00:00:00Z', '2026-11-23T25:61:00Z', 'rsync', 'tsm', 'RSYNC', 'tar', 'auto',
  'ü-latin1-bytes', '\u00ff\u00fe', 'a'.repeat(300), '"quoted"', 'key with spaces', '../../etc/passwd', "'; drop table reports; --",
];
const HEADERS = ['x-exit-code', 'x-started-at', 'x-finished-at', 'x-report-format', 'idempotency-key', 'content-type', 'x-unknown'];

const RSYNC_END = 'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 1,234  speedup is 0.02\n';
const ERR23 = 'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1338) [sender=3.2.7]\n';

export type CaseKind = 'random-bytes' | 'nul' | 'invalid-utf8' | 'odd-headers' | 'huge-header' | 'chunk-split' | 'chunked-encoding' | 'truncated' | 'bad-auth' | 'wrong-route' | 'expect-continue' | 'empty';
const KINDS: CaseKind[] = ['random-bytes', 'nul', 'invalid-utf8', 'odd-headers', 'huge-header', 'chunk-split', 'chunked-encoding', 'bad-auth', 'wrong-route', 'expect-continue', 'empty'];

export interface FuzzRequest {
  kind: CaseKind;
  /** What is written to the socket, piece by piece. */
  pieces: Buffer[];
  /** The body, when the request is a well-formed upload (to check it was stored when acknowledged). */
  body: Buffer | null;
}

function body(r: Rng, kind: CaseKind, i: number): Buffer {
  const tag = Buffer.from(`fuzz case ${i} ${r.int(1e9)}\n`);
  switch (kind) {
    case 'random-bytes':
      return Buffer.concat([tag, r.bytes(r.int(8192))]);
    case 'nul':
      return Buffer.concat([
        tag,
        Buffer.from('rsync: [sender] send_files failed to open "/srv/a\u0000b'),
        Buffer.alloc(r.int(5), 0),
        Buffer.from('.pst": Permission denied (13)\nrsync: connection unexpectedly closed \u0000\n'),
        Buffer.from(r.next() < 0.5 ? ERR23 : RSYNC_END),
      ]);
    case 'invalid-utf8':
      return Buffer.concat([
        tag,
        Buffer.from('rsync: [sender] send_files failed to open "/srv/'),
        Buffer.from(r.pick([[0xc3], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xc0, 0xaf]])),
        Buffer.from('x.txt": Permission denied (13)\n'),
        r.bytes(r.int(64)),
        Buffer.from(ERR23),
      ]);
    case 'empty':
      return Buffer.alloc(0);
    default:
      return Buffer.concat([tag, Buffer.from(`sending incremental file list\nhome/file-${i}.txt\n`), Buffer.from(r.next() < 0.5 ? RSYNC_END : ERR23)]);
  }
}

/** Splits a buffer into 1-40 pieces at random places. */
function split(r: Rng, buf: Buffer): Buffer[] {
  const cuts = new Set<number>();
  const n = r.int(40);
  for (let k = 0; k < n && buf.length > 1; k++) cuts.add(1 + r.int(buf.length - 1));
  const points = [0, ...[...cuts].sort((a, b) => a - b), buf.length];
  const out: Buffer[] = [];
  for (let k = 1; k < points.length; k++) if (points[k]! > points[k - 1]!) out.push(buf.subarray(points[k - 1], points[k]));
  return out.length ? out : [buf];
}

/** One hostile request. `allowTruncated` adds bodies shorter than their Content-Length (answered by the stall limit). */
export function fuzzRequest(r: Rng, token: string, i: number, allowTruncated: boolean): FuzzRequest {
  const kind: CaseKind = allowTruncated && r.next() < 0.01 ? 'truncated' : r.pick(KINDS);
  const b = body(r, kind, i);
  const headers: string[] = [`Host: 127.0.0.1`, `Authorization: Bearer ${kind === 'bad-auth' ? r.pick(['bbt_nope', '', token.slice(0, -1), 'x'.repeat(500)]) : token}`];
  if (r.next() < 0.7) headers.push('Connection: close');
  if (kind === 'odd-headers' || r.next() < 0.2) {
    for (let k = 0, n = 1 + r.int(4); k < n; k++) headers.push(`${r.pick(HEADERS)}: ${r.pick(ODD_VALUES)}`);
  }
  if (kind === 'huge-header') headers.push(`X-Padding: ${'p'.repeat(8_000 + r.int(80_000))}`);
  if (kind === 'expect-continue') headers.push('Expect: 100-continue');
  const path = kind === 'wrong-route' ? r.pick(['/api/v1/report', '/', '/api/v1/reports/../reports', '/%00', '/healthz?x=1']) : '/api/v1/reports';
  const method = kind === 'wrong-route' ? r.pick(['GET', 'PUT', 'POST', 'DELETE']) : 'POST';
  let payload: Buffer;
  if (kind === 'chunked-encoding') {
    headers.push('Transfer-Encoding: chunked');
    const parts = split(r, b).map((p) => Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]));
    payload = Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
  } else {
    headers.push(`Content-Length: ${kind === 'truncated' ? b.length + 100 + r.int(1000) : b.length}`);
    payload = b;
  }
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
  const whole = Buffer.concat([head, payload]);
  const pieces = kind === 'chunk-split' || kind === 'chunked-encoding' || r.next() < 0.2 ? split(r, whole) : [whole];
  const wellFormed = method === 'POST' && path === '/api/v1/reports' && kind !== 'bad-auth' && kind !== 'truncated' && kind !== 'huge-header';
  return { kind, pieces, body: wellFormed ? b : null };
}

export interface Answer {
  status: number | null;
  ms: number;
  reportId?: number;
}

/** Writes one request and waits for a complete HTTP answer (status null: none came). */
export function send(port: number, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (status: number | null, reportId?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, ms: Date.now() - started, ...(reportId !== undefined ? { reportId } : {}) });
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    /** A final (non-1xx) response with its whole body, or null while incomplete. */
    const parse = (): { status: number; body: string } | null => {
      let rest = data;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) return null;
        const head = rest.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
        if (Number.isNaN(status)) return null;
        rest = rest.subarray(end + 4);
        if (status >= 100 && status < 200) continue;
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
        if (!Number.isNaN(length)) return rest.length >= length ? { status, body: rest.subarray(0, length).toString() } : null;
        return null;
      }
    };
    const check = (closed: boolean) => {
      const res = parse();
      if (res) {
        let reportId: number | undefined;
        try {
          reportId = (JSON.parse(res.body) as { reportId?: number }).reportId;
        } catch {
          // not JSON (Node's own 400/431 answers)
        }
        finish(res.status, reportId);
      } else if (closed) {
        // Closed without a complete answer: Node's parser errors answer without Content-Length.
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data.toString('latin1'))?.[1] ?? NaN);
        finish(Number.isNaN(status) ? null : status);
      }
    };
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      check(false);
    });
    socket.on('close', () => check(true));
    socket.on('error', () => undefined);
    void (async () => {
      for (const p of req.pieces) {
        if (done || socket.destroyed) return;
        socket.write(p);
        if (req.pieces.length > 1) await new Promise((r) => setTimeout(r, Math.random() < 0.5 ? 0 : 1));
      }
    })();
  });
}

export interface FuzzReport {
  requests: number;
  unanswered: number;
  /** Each request that got no answer: its kind, first line, size, the pieces it was sent in, and how long the client waited. */
  unansweredRequests: string[];
  byStatus: Record<string, number>;
  byKind: Record<string, number>;
  acknowledged: number;
  lost: number;
  slowestMs: number;
  seconds: number;
}

/** Runs `count` fuzzed requests, `concurrency` at a time, then checks every acknowledged upload is stored intact. */
export async function runFuzz(opts: { db: Db; port: number; token: string; count: number; concurrency: number; seed: number; allowTruncated: boolean; timeoutMs?: number }): Promise<FuzzReport> {
  const r = rng(opts.seed);
  const started = Date.now();
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const acked = new Map<number, string>();
  let unanswered = 0;
  const unansweredRequests: string[] = [];
  let slowest = 0;
  let next = 0;
  const worker = async () => {
    while (next < opts.count) {
      const i = next++;
      const req = fuzzRequest(r, opts.token, i, opts.allowTruncated);
      byKind[req.kind] = (byKind[req.kind] ?? 0) + 1;
      const answer = await send(opts.port, req, opts.timeoutMs ?? 20_000);
      slowest = Math.max(slowest, answer.ms);
      const key = answer.status === null ? 'none' : String(answer.status);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      if (answer.status === null) {
        unanswered++;
        const whole = Buffer.concat(req.pieces);
        unansweredRequests.push(`${req.kind}: ${whole.subarray(0, Math.max(0, whole.indexOf('\r\n'))).toString('latin1')} (${whole.length} bytes in ${req.pieces.length} pieces, ${answer.ms} ms)`);
      }
      if ((answer.status === 201 || answer.status === 200) && answer.reportId !== undefined && req.body) {
        acked.set(answer.reportId, createHash('sha256').update(req.body).digest('hex'));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  let lost = 0;
  const ids = [...acked.keys()];
  for (let k = 0; k < ids.length; k += 500) {
    const rows = await opts.db.select({ id: reports.id, sha256: reports.sha256, state: reports.state }).from(reports).where(inArray(reports.id, ids.slice(k, k + 500)));
    const found = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids.slice(k, k + 500)) {
      const row = found.get(id);
      // A retry is answered with the earlier report, whose bytes are the same.
      if (!row || row.state !== 'stored' || row.sha256 !== acked.get(id)) lost++;
    }
  }
  return { requests: opts.count, unanswered, unansweredRequests, byStatus, byKind, acknowledged: acked.size, lost, slowestMs: slowest, seconds: (Date.now() - started) / 1000 };
}
