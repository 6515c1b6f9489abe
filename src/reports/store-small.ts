import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';
import type { ParsedReport } from '../parsers/types.ts';
import type { Verdict } from './classify.ts';
import { cleanParsed, cleanVerdict } from './sanitize.ts';

export interface RetryRule {
  /** Hash that a retry of this upload shares (see reports.retry_key). */
  key: string;
  /** A stored report with the same key is a retry only if it arrived this recently. */
  windowMs: number;
}

export interface SmallReport {
  serverId: number;
  format: string;
  bytes: Buffer;
  sha256: string;
  clientExitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  idempotencyKey: string | null;
  parsed: ParsedReport;
  verdict: Verdict;
}

export type Stored = { reportId: number; resultId: number; duplicate: false } | { reportId: number; duplicate: true };

/**
 * Serialises uploads that could be retries of each other: one advisory lock per server and
 * retry key, held until the transaction ends. Without it, twenty identical uploads released
 * together all miss each other's uncommitted rows and each store a report.
 */
export async function lockRetryKey(tx: Db, serverId: number, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${serverId}::int, hashtext(${key}))`);
}

/** The newest stored report of the server that this upload repeats, or null. */
export async function findRetryOf(tx: Db, serverId: number, retry: RetryRule, exceptId = -1): Promise<number | null> {
  if (retry.windowMs <= 0) return null;
  const found = await tx.execute(sql`
    select id from reports
    where server_id = ${serverId} and retry_key = ${retry.key} and state = 'stored' and id <> ${exceptId}
      and received_at >= now() - ${retry.windowMs}::double precision * interval '1 millisecond'
    order by id desc limit 1`);
  const [row] = rowsOf<{ id: number | string }>(found);
  return row ? Number(row.id) : null;
}

/**
 * Stores an upload that fits in one chunk -- nearly all of them -- with its verdict: report,
 * raw bytes, result and file errors commit together or not at all. The client gets its 201
 * only after that commit, so an acknowledged upload is never lost; a parser failure was
 * already turned into a -2 verdict, so it cannot stop the raw bytes from being stored.
 *
 * backup_at is the client's finish time, but never later than the arrival: a client clock
 * running ahead must not make this result outrank the ones that come after it.
 */
export async function storeSmallReport(db: Db, r: SmallReport, retry: RetryRule): Promise<Stored> {
  const p = cleanParsed(r.parsed);
  const v = cleanVerdict(r.verdict);
  const errors = JSON.stringify(p.fileErrors.map((e) => ({ path: e.path, kind: e.kind, message: e.message, line: e.line, excepted: e.excepted })));
  return db.transaction(async (tx) => {
    await lockRetryKey(tx, r.serverId, retry.key);
    // One statement from here: it starts after the lock is held, so its snapshot sees any
    // upload with the same key that committed while this one waited.
    const result = await tx.execute(sql`
      with dup as (
        select id from reports
        where ${retry.windowMs > 0} and server_id = ${r.serverId} and retry_key = ${retry.key} and state = 'stored'
          and received_at >= now() - ${retry.windowMs}::double precision * interval '1 millisecond'
        order by id desc limit 1
      ), r as (
        insert into reports (server_id, state, format, size, sha256, started_at, finished_at, client_exit_code, idempotency_key, retry_key)
        select ${r.serverId}, 'stored', ${r.format}, ${r.bytes.length}, ${r.sha256}, ${r.startedAt?.toISOString() ?? null}::timestamptz,
               ${r.finishedAt?.toISOString() ?? null}::timestamptz, ${r.clientExitCode}::int, ${r.idempotencyKey}, ${retry.key}
        where not exists (select 1 from dup)
        returning id, received_at
      ), c as (
        insert into report_chunks (report_id, seq, data) select id, 0, ${r.bytes}::bytea from r
      ), res as (
        insert into results (report_id, server_id, parser_version, format, code, status, meaning, reason, hint, completed,
                             ok_by_exceptions, file_error_count, excepted_count, vanished_count, messages, stats, suspicion, backup_at)
        select id, ${r.serverId}, ${p.parserVersion}, ${p.format}, ${v.code}, ${v.status}, ${v.meaning},
               ${v.reason}, ${v.caseHint ?? null}, ${p.completed}, ${v.okByExceptions}, ${p.fileErrorCount}, ${p.exceptedCount},
               ${p.vanishedCount}, ${JSON.stringify(p.messages)}::jsonb, ${JSON.stringify(p.stats)}::jsonb,
               ${JSON.stringify(v.suspicion ?? [])}::jsonb,
               -- Milliseconds, as JavaScript dates have them: a reparse keeps this time exactly.
               least(coalesce(${r.finishedAt?.toISOString() ?? null}::timestamptz, received_at), date_trunc('milliseconds', received_at))
        from r
        returning id
      ), fe as (
        insert into file_errors (result_id, path, kind, message, line, excepted)
        select res.id, e.path, e.kind, e.message, e.line, e.excepted
        from res, jsonb_to_recordset(${errors}::jsonb) as e(path text, kind text, message text, line int, excepted boolean)
      )
      select (select id from dup) as dup_id, (select id from r) as report_id, (select id from res) as result_id`);
    const [row] = rowsOf<{ dup_id: number | string | null; report_id: number | string | null; result_id: number | string | null }>(result);
    if (row?.dup_id != null) return { reportId: Number(row.dup_id), duplicate: true as const };
    return { reportId: Number(row!.report_id), resultId: Number(row!.result_id), duplicate: false as const };
  });
}

/**
 * The fallback when the report could not be stored together with its verdict (a value the
 * database refused that sanitising did not foresee): the raw bytes alone, so the upload is
 * kept whatever its verdict's fate. Returns the report id, or the stored report it repeats.
 */
export async function storeRawOnly(db: Db, r: Omit<SmallReport, 'parsed' | 'verdict'>, retry: RetryRule): Promise<{ reportId: number; duplicate: boolean }> {
  return db.transaction(async (tx) => {
    await lockRetryKey(tx, r.serverId, retry.key);
    const dup = await findRetryOf(tx, r.serverId, retry);
    if (dup !== null) return { reportId: dup, duplicate: true };
    const result = await tx.execute(sql`
      with r as (
        insert into reports (server_id, state, format, size, sha256, started_at, finished_at, client_exit_code, idempotency_key, retry_key)
        values (${r.serverId}, 'stored', ${r.format}, ${r.bytes.length}, ${r.sha256}, ${r.startedAt?.toISOString() ?? null}::timestamptz,
                ${r.finishedAt?.toISOString() ?? null}::timestamptz, ${r.clientExitCode}::int, ${r.idempotencyKey}, ${retry.key})
        returning id
      ), c as (
        insert into report_chunks (report_id, seq, data) select id, 0, ${r.bytes}::bytea from r
      )
      select id from r`);
    const [row] = rowsOf<{ id: number | string }>(result);
    return { reportId: Number(row!.id), duplicate: false };
  });
}
