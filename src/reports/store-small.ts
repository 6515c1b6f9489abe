import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';
import type { ParsedReport } from '../parsers/types.ts';
import type { Verdict } from './classify.ts';

export interface SmallReport {
  serverId: number;
  format: string;
  bytes: Buffer;
  sha256: string;
  clientExitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  parsed: ParsedReport;
  verdict: Verdict;
  backupAt: Date;
}

/**
 * Stores an upload that fits in one chunk -- nearly all of them -- with its verdict in a
 * single statement (or finds it already stored, for a retry): report, raw bytes, result and file errors commit together or not at
 * all, in one round trip. The client gets its 201 only after that commit, so an
 * acknowledged upload is never lost; a parser failure was already turned into a -2
 * verdict, so it cannot stop the raw bytes from being stored.
 */
export async function storeSmallReport(
  db: Db,
  r: SmallReport,
  duplicateSince: Date,
): Promise<{ reportId: number; resultId: number; duplicate: false } | { reportId: number; duplicate: true }> {
  const p = r.parsed;
  const errors = JSON.stringify(p.fileErrors.map((e) => ({ path: e.path, kind: e.kind, message: e.message, line: e.line, excepted: e.excepted })));
  const result = await db.execute(sql`
    with dup as (
      -- The same bytes from the same server lately: a retry. Answer with the stored report.
      select id from reports
      where server_id = ${r.serverId} and sha256 = ${r.sha256} and state = 'stored' and received_at >= ${duplicateSince.toISOString()}::timestamptz
      order by id desc limit 1
    ), r as (
      insert into reports (server_id, state, format, size, sha256, started_at, finished_at, client_exit_code)
      select ${r.serverId}, 'stored', ${r.format}, ${r.bytes.length}, ${r.sha256}, ${r.startedAt?.toISOString() ?? null}::timestamptz,
             ${r.finishedAt?.toISOString() ?? null}::timestamptz, ${r.clientExitCode}::int
      where not exists (select 1 from dup)
      returning id
    ), c as (
      insert into report_chunks (report_id, seq, data) select id, 0, ${r.bytes}::bytea from r
    ), res as (
      insert into results (report_id, server_id, parser_version, format, code, status, meaning, reason, completed,
                           ok_by_exceptions, file_error_count, excepted_count, vanished_count, messages, stats, backup_at)
      select id, ${r.serverId}, ${p.parserVersion}, ${p.format}, ${r.verdict.code}, ${r.verdict.status}, ${r.verdict.meaning},
             ${r.verdict.reason}, ${p.completed}, ${r.verdict.okByExceptions}, ${p.fileErrorCount}, ${p.exceptedCount},
             ${p.vanishedCount}, ${JSON.stringify(p.messages)}::jsonb, ${JSON.stringify(p.stats)}::jsonb, ${r.backupAt.toISOString()}::timestamptz
      from r
      returning id
    ), fe as (
      insert into file_errors (result_id, path, kind, message, line, excepted)
      select res.id, e.path, e.kind, e.message, e.line, e.excepted
      from res, jsonb_to_recordset(${errors}::jsonb) as e(path text, kind text, message text, line int, excepted boolean)
    )
    select (select id from dup) as dup_id, (select id from r) as report_id, (select id from res) as result_id`);
  const [row] = rowsOf<{ dup_id: number | string | null; report_id: number | string | null; result_id: number | string | null }>(result);
  if (row?.dup_id != null) return { reportId: Number(row.dup_id), duplicate: true };
  return { reportId: Number(row!.report_id), resultId: Number(row!.result_id), duplicate: false };
}
