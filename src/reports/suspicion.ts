/**
 * Suspicion on upload and reparse: loads the server's baseline (one indexed query) and runs
 * the pure rules of suspicion-rules.ts over the run. A run that its tool's code table calls ok
 * becomes `suspect` when any rule fires; the code stays the tool's own. Failed and incomplete
 * runs are already problems and keep their status.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';
import type { Verdict } from './classify.ts';
import { judgeRun, type RunNumbers, type SuspectThresholds } from './suspicion-rules.ts';

export { DEFAULT_THRESHOLDS, type SuspectThresholds, type SuspicionReason } from './suspicion-rules.ts';

import { evidenceOf, thresholdsFor, withSuspicion, type RunToJudge, type SuspectSettings } from './suspicion-run.ts';

export { canaryWatch, judgeWithoutHistory, runSeconds, thresholdsFor, withSuspicion, type RunToJudge, type SuspectSettings } from './suspicion-run.ts';

/**
 * The server's last good runs before `before`, newest first, as the history rules see them:
 * only the latest result of each report counts (a reparse writes a new one), only ok ones
 * (suspect runs never become the baseline), only since the last accepted baseline in force at
 * `before` — so a reparse judges an old report against the history it had, not today's.
 * Served by results_server_good_idx read backwards, plus results_report_idx per row.
 */
export async function loadBaseline(db: Db, serverId: number, before: Date, window: number, exceptReportId: number | null = null): Promise<RunNumbers[]> {
  const at = before.toISOString();
  const result = await db.execute(sql`
    select (r.stats->>'filesInspected')::float8 as files,
           (r.stats->>'bytesProcessed')::float8 as bytes,
           coalesce((r.stats->>'durationSeconds')::float8, case when rp.finished_at >= rp.started_at then extract(epoch from (rp.finished_at - rp.started_at))::float8 end) as seconds
    from results r
    join reports rp on rp.id = r.report_id
    where r.server_id = ${serverId} and r.status = 'ok' and r.report_id is not null
      and r.backup_at < ${at}::timestamptz
      and r.backup_at >= coalesce((select max(b.starts_at) from baselines b where b.server_id = ${serverId} and b.starts_at <= ${at}::timestamptz), '-infinity'::timestamptz)
      and r.report_id <> ${exceptReportId ?? -1}
      and not exists (select 1 from results n where n.report_id = r.report_id and n.id > r.id)
    order by r.backup_at desc, r.id desc
    limit ${window}`);
  return rowsOf<{ files: number | string | null; bytes: number | string | null; seconds: number | string | null }>(result).map((r) => ({
    files: r.files === null ? null : Number(r.files),
    bytes: r.bytes === null ? null : Number(r.bytes),
    seconds: r.seconds === null ? null : Number(r.seconds),
  }));
}

export interface JudgeInput extends RunToJudge {
  serverId: number;
  server: SuspectSettings;
  /** When the run happened: history is read from before this time. */
  at: Date;
  /** The stored report being reparsed, whose older results must not be its own baseline. */
  reportId?: number | null;
  defaults?: SuspectThresholds | undefined;
}

/** The verdict with suspicion applied; reads the baseline only when the tool's verdict is ok. */
export async function judgeSuspicion(db: Db, verdict: Verdict, input: JudgeInput): Promise<Verdict> {
  if (verdict.status !== 'ok') return { ...verdict, suspicion: [] };
  const t = thresholdsFor(input.server, input.defaults);
  const history = await loadBaseline(db, input.serverId, input.at, t.window, input.reportId ?? null);
  return withSuspicion(verdict, judgeRun(evidenceOf(input, input.server.canaryPath), history, t));
}
