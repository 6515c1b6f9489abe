import { sql } from 'drizzle-orm';
import { isUnavailable } from '../db/health.ts';
import { serverParameter, type Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';
import { cleanParsed, cleanVerdict } from './sanitize.ts';
import { storeSmallReport, type RetryRule, type SmallReport, type Stored } from './store-small.ts';

/**
 * Group commit for small uploads. Each commit costs the database a WAL flush and a few round
 * trips whatever it holds, so uploads that arrive while another commit is in flight wait for
 * it and are then stored together: one transaction, one multi-row statement, one commit.
 * Every upload's promise settles only when that shared commit has succeeded, so a 201 still
 * means its bytes are committed. A lone upload on a quiet server goes at once, alone, through
 * storeSmallReport: batching adds no waiting of its own.
 *
 * If a shared commit fails for any reason but the database being unavailable, each of its
 * uploads is stored again on its own, so one upload the database refuses cannot fail the others.
 */
export interface GroupStoreLimits {
  /** Commits in flight at once; more uploads queue for the next one. */
  maxInFlight: number;
  /** Uploads in one commit. */
  maxBatch: number;
  /** Raw bytes in one commit (the statement carries them all). */
  maxBatchBytes: number;
}

export const DEFAULT_GROUP_LIMITS: GroupStoreLimits = { maxInFlight: 3, maxBatch: 64, maxBatchBytes: 8 * 1024 * 1024 };

interface Waiting {
  report: SmallReport;
  retry: RetryRule;
  resolve: (stored: Stored) => void;
  reject: (err: unknown) => void;
}

export class GroupStore {
  private queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Sizes of the commits made, for tests and the bench (how much was shared). */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly db: Db,
    private readonly limits: GroupStoreLimits = DEFAULT_GROUP_LIMITS,
  ) {}

  /** Stores one small upload with its verdict; resolves after the commit that holds it. */
  store(report: SmallReport, retry: RetryRule): Promise<Stored> {
    return new Promise<Stored>((resolve, reject) => {
      this.queue.push({ report, retry, resolve, reject });
      // Uploads whose bodies end in the same turn of the event loop go together.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < this.limits.maxBatch && (n === 0 || bytes + this.queue[n]!.report.bytes.length <= this.limits.maxBatchBytes)) {
        bytes += this.queue[n]!.report.bytes.length;
        n++;
      }
      const batch = this.queue.splice(0, n);
      this.inFlight++;
      this.batchSizes.push(batch.length);
      if (this.batchSizes.length > 10_000) this.batchSizes.splice(0, 5_000);
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [w] = batch;
      return storeSmallReport(this.db, w!.report, w!.retry).then(w!.resolve, w!.reject);
    }
    let stored: Stored[];
    try {
      stored = await storeSmallReports(this.db, batch);
    } catch (err) {
      if (isUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // Something in one upload made the shared statement fail: store each on its own, so
      // only that one meets the error (and its caller's raw-bytes-only fallback).
      await Promise.all(batch.map((w) => storeSmallReport(this.db, w.report, w.retry).then(w.resolve, w.reject)));
      return;
    }
    batch.forEach((w, i) => w.resolve(stored[i]!));
  }
}

const stores = new WeakMap<Db, GroupStore>();

/** The group committer of this database handle (one per process and database). */
export function groupStoreFor(db: Db): GroupStore {
  let store = stores.get(db);
  if (!store) {
    store = new GroupStore(db);
    stores.set(db, store);
  }
  return store;
}

/**
 * Stores many small uploads with their verdicts in one transaction: one statement takes the
 * advisory locks of all their retry keys (sorted, so two batches never wait on each other in
 * a circle), then one statement checks for retries and writes every report, chunk, result and
 * file error. Within the batch, an upload whose retry key an earlier one has is its retry.
 * Answers in the order given.
 */
export async function storeSmallReports(db: Db, items: readonly { report: SmallReport; retry: RetryRule }[]): Promise<Stored[]> {
  // Within the batch: the first upload with a key is stored (or found to repeat an older
  // report); later ones with the same key repeat it.
  const firstOf = new Map<string, number>();
  const sameAs: (number | null)[] = items.map((it, i) => {
    if (it.retry.windowMs <= 0) return null;
    const k = `${it.report.serverId}\0${it.retry.key}`;
    const first = firstOf.get(k);
    if (first !== undefined) return first;
    firstOf.set(k, i);
    return null;
  });
  const unique = items.map((it, i) => ({ ...it, ord: i })).filter((_, i) => sameAs[i] === null);
  const locks = [...new Map(unique.map((u) => [`${u.report.serverId}\0${u.retry.key}`, u])).values()]
    .map((u) => ({ serverId: u.report.serverId, key: u.retry.key }))
    .sort((a, b) => a.serverId - b.serverId || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // Every statement here has the same text whatever the batch holds (the uploads' fields go
  // as one JSON array, their bodies as one text and one bytea parameter cut up by offset), so
  // the driver prepares each once per connection and can send the two back to back.
  const textBodies = bodiesGoAsText(db);
  const text: Buffer[] = [];
  const binary: Buffer[] = [];
  let textBytes = 0;
  let binaryBytes = 0;
  const meta = JSON.stringify(
    unique.map((u) => {
      const bytes = u.report.bytes;
      const asText = textBodies && bytes.indexOf(0) === -1;
      const at = asText ? textBytes : binaryBytes;
      if (asText) {
        text.push(bytes);
        textBytes += bytes.length;
      } else {
        binary.push(bytes);
        binaryBytes += bytes.length;
      }
      return { ...metaOf(u.ord, u.report, u.retry), src: asText ? 't' : 'b', off: at, len: bytes.length };
    }),
  );
  const lockList = JSON.stringify(locks.map((l) => ({ s: l.serverId, k: l.key })));
  const out = await db.transaction(async (tx) => {
    // Sent without waiting for its answer: Postgres runs the two statements in order, so
    // this only saves the round trip in between (the driver pipelines them).
    const locked = tx.execute(sql`
      select pg_advisory_xact_lock(v.s, hashtext(v.k))
      from jsonb_to_recordset(${lockList}::jsonb) as v(s int, k text)
      order by v.s, v.k`);
    // One statement from here: it starts after the locks are held, so its snapshot sees any
    // upload with the same key that committed while this batch waited.
    const stored = tx.execute(sql`
      -- Materialised: evaluated once. Inlined (the default for a CTE used once), the two
      -- conversions ran again for every upload of the batch, over the whole batch's bytes.
      with blobs as materialized (
        select convert_to(${Buffer.concat(text, textBytes).toString('latin1')}::text, 'LATIN1') as t, ${Buffer.concat(binary, binaryBytes)}::bytea as b
      ), input as (
        select m.*, substring(case when m.src = 't' then blobs.t else blobs.b end from m.off + 1 for m.len) as data
        from jsonb_to_recordset(${meta}::jsonb) as m(
          ord int, server_id int, format text, size bigint, sha256 text, started_at timestamptz, finished_at timestamptz,
          client_exit_code int, idempotency_key text, retry_key text, window_ms double precision,
          parser_version text, result_format text, code int, status text, meaning text, reason text, hint text, completed boolean,
          ok_by_exceptions boolean, file_error_count int, excepted_count int, vanished_count int, messages jsonb, stats jsonb,
          suspicion jsonb, errors jsonb, src text, off int, len int),
        blobs
      ),
      dup as (
        select i.ord, d.id
        from input i
        cross join lateral (
          select id from reports
          where i.window_ms > 0 and server_id = i.server_id and retry_key = i.retry_key and state = 'stored'
            and received_at >= now() - i.window_ms * interval '1 millisecond'
          order by id desc limit 1
        ) d
      ),
      -- nextval makes this CTE evaluated once: every use below sees the same ids.
      fresh as (
        select i.*, nextval('reports_id_seq'::regclass) as report_id, nextval('results_id_seq'::regclass) as result_id
        from input i
        where not exists (select 1 from dup where dup.ord = i.ord)
      ),
      r as (
        insert into reports (id, server_id, state, format, size, sha256, started_at, finished_at, client_exit_code, idempotency_key, retry_key)
        select report_id, server_id, 'stored', format, size, sha256, started_at, finished_at, client_exit_code, idempotency_key, retry_key
        from fresh
      ), c as (
        insert into report_chunks (report_id, seq, data) select report_id, 0, data from fresh
      ), res as (
        insert into results (id, report_id, server_id, parser_version, format, code, status, meaning, reason, hint, completed,
                             ok_by_exceptions, file_error_count, excepted_count, vanished_count, messages, stats, suspicion, backup_at)
        select result_id, report_id, server_id, parser_version, result_format, code, status, meaning, reason, hint, completed,
               ok_by_exceptions, file_error_count, excepted_count, vanished_count, messages, stats, suspicion,
               -- received_at is now(): the client's finish time, never later than the arrival, in
               -- milliseconds as JavaScript dates have them (a reparse keeps this time exactly).
               least(coalesce(finished_at, now()), date_trunc('milliseconds', now()))
        from fresh
        -- Each result's trigger locks its server's server_current row: in server order, so two
        -- batches with servers in common take those locks in the same order and never deadlock.
        order by server_id, ord
      ), fe as (
        insert into file_errors (result_id, path, kind, message, line, excepted)
        select f.result_id, e.path, e.kind, e.message, e.line, e.excepted
        from fresh f, jsonb_to_recordset(f.errors) as e(path text, kind text, message text, line int, excepted boolean)
      )
      select i.ord, dup.id as dup_id, fresh.report_id, fresh.result_id
      from input i left join dup on dup.ord = i.ord left join fresh on fresh.ord = i.ord`);
    const [, rows] = await Promise.all([locked, stored]);
    return rows;
  });
  const byOrd = new Map<number, Stored>();
  for (const row of rowsOf<{ ord: number | string; dup_id: number | string | null; report_id: number | string | null; result_id: number | string | null }>(out)) {
    const stored: Stored =
      row.dup_id != null ? { reportId: Number(row.dup_id), duplicate: true } : { reportId: Number(row.report_id), resultId: Number(row.result_id), duplicate: false };
    byOrd.set(Number(row.ord), stored);
  }
  return items.map((_, i) => {
    const first = sameAs[i];
    if (first === null || first === undefined) {
      const s = byOrd.get(i);
      if (!s) throw new Error(`group store: no row came back for upload ${i} of ${items.length}`);
      return s;
    }
    const s = byOrd.get(first)!;
    return { reportId: s.reportId, duplicate: true };
  });
}

/**
 * Whether upload bodies can go to this database as text: a Postgres server (postgres.js)
 * whose encoding is UTF8. A body (without NUL, which text cannot hold) then goes as Latin-1
 * text: each byte becomes the character of the same number, which the driver sends as UTF-8
 * and convert_to(..., 'LATIN1') turns back into exactly the bytes that arrived, valid UTF-8
 * or not. Making that string is a copy, where decoding the body as UTF-8 and encoding it
 * again cost more CPU than any other step of an upload; bytea goes as hex, twice the size,
 * for the driver to write and Postgres to decode. Anything else gets every body as bytea:
 * another server encoding, and PGlite, which sends bytea as binary at no cost and cannot
 * load Postgres's LATIN1 conversion (its query then never answers).
 */
function bodiesGoAsText(db: Db): boolean {
  return serverParameter(db, 'server_encoding') === 'UTF8';
}

/** One upload's fields, named as the statement's input columns. */
function metaOf(ord: number, r: SmallReport, retry: RetryRule) {
  const p = cleanParsed(r.parsed);
  const v = cleanVerdict(r.verdict);
  return {
    ord,
    server_id: r.serverId,
    format: r.format,
    size: r.bytes.length,
    sha256: r.sha256,
    started_at: r.startedAt?.toISOString() ?? null,
    finished_at: r.finishedAt?.toISOString() ?? null,
    client_exit_code: r.clientExitCode,
    idempotency_key: r.idempotencyKey,
    retry_key: retry.key,
    window_ms: retry.windowMs,
    parser_version: p.parserVersion,
    result_format: p.format,
    code: v.code,
    status: v.status,
    meaning: v.meaning,
    reason: v.reason,
    hint: v.caseHint ?? null,
    completed: p.completed,
    ok_by_exceptions: v.okByExceptions,
    file_error_count: p.fileErrorCount,
    excepted_count: p.exceptedCount,
    vanished_count: p.vanishedCount,
    messages: p.messages,
    stats: p.stats,
    suspicion: v.suspicion ?? [],
    errors: p.fileErrors.map((e) => ({ path: e.path, kind: e.kind, message: e.message, line: e.line, excepted: e.excepted })),
  };
}
