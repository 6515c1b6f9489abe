/**
 * Suspicion on upload and reparse: loads the server's baseline (one indexed query) and runs
 * the pure rules of suspicion-rules.ts over the run. A run that its tool's code table calls ok
 * becomes `suspect` when any rule fires; the code stays the tool's own. Failed and incomplete
 * runs are already problems and keep their status.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { coalesce, perHandle } from '../db/coalesce.ts';
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

export interface BaselineRequest {
  serverId: number;
  before: Date;
  window: number;
  exceptReportId: number | null;
}

/**
 * loadBaseline for many uploads in one statement (the same query, once per request, through
 * a lateral join); answers in the order asked.
 */
export async function loadBaselines(db: Db, requests: readonly BaselineRequest[]): Promise<RunNumbers[][]> {
  const asked = JSON.stringify(requests.map((q, i) => ({ i, server_id: q.serverId, at: q.before.toISOString(), win: q.window, except_id: q.exceptReportId ?? -1 })));
  const result = await db.execute(sql`
    select q.i, b.files, b.bytes, b.seconds
    from jsonb_to_recordset(${asked}::jsonb) as q(i int, server_id int, at timestamptz, win int, except_id bigint)
    cross join lateral (
      select (r.stats->>'filesInspected')::float8 as files,
             (r.stats->>'bytesProcessed')::float8 as bytes,
             coalesce((r.stats->>'durationSeconds')::float8, case when rp.finished_at >= rp.started_at then extract(epoch from (rp.finished_at - rp.started_at))::float8 end) as seconds,
             r.backup_at, r.id
      from results r
      join reports rp on rp.id = r.report_id
      where r.server_id = q.server_id and r.status = 'ok' and r.report_id is not null
        and r.backup_at < q.at
        and r.backup_at >= coalesce((select max(b.starts_at) from baselines b where b.server_id = q.server_id and b.starts_at <= q.at), '-infinity'::timestamptz)
        and r.report_id <> q.except_id
        and not exists (select 1 from results n where n.report_id = r.report_id and n.id > r.id)
      order by r.backup_at desc, r.id desc
      limit q.win
    ) b
    order by q.i, b.backup_at desc, b.id desc`);
  const out: RunNumbers[][] = requests.map(() => []);
  for (const r of rowsOf<{ i: number | string; files: number | string | null; bytes: number | string | null; seconds: number | string | null }>(result)) {
    out[Number(r.i)]!.push({
      files: r.files === null ? null : Number(r.files),
      bytes: r.bytes === null ? null : Number(r.bytes),
      seconds: r.seconds === null ? null : Number(r.seconds),
    });
  }
  return out;
}

/**
 * Baselines for concurrent uploads share one query (see coalesce.ts); a lone one runs
 * loadBaseline itself.
 */
const baselineLoader = perHandle((db: Db) =>
  coalesce((requests: BaselineRequest[]) =>
    requests.length === 1
      ? loadBaseline(db, requests[0]!.serverId, requests[0]!.before, requests[0]!.window, requests[0]!.exceptReportId).then((b) => [b])
      : loadBaselines(db, requests),
  ),
);

export interface JudgeInput extends RunToJudge {
  serverId: number;
  server: SuspectSettings;
  /** When the run happened: history is read from before this time. */
  at: Date;
  /** The stored report being reparsed, whose older results must not be its own baseline. */
  reportId?: number | null;
  defaults?: SuspectThresholds | undefined;
  /** The baseline, already asked for with prefetchBaseline (for the same server, time and report). */
  prefetched?: ReturnType<typeof prefetchBaseline> | undefined;
}

/**
 * Starts reading the baseline a run will be judged against, before the run is parsed: an
 * upload asks for it as soon as it starts, so the query overlaps the body's arrival instead
 * of adding a round trip after it. Never rejects by itself (an unused failure must not go
 * unhandled); judgeSuspicion rethrows the failure if it needs the history.
 */
export function prefetchBaseline(
  db: Db,
  input: Pick<JudgeInput, 'serverId' | 'server' | 'at' | 'reportId' | 'defaults'>,
  guard: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<{ history: RunNumbers[] } | { error: unknown }> {
  const t = thresholdsFor(input.server, input.defaults);
  return guard(() => baselineLoader(db)({ serverId: input.serverId, before: input.at, window: t.window, exceptReportId: input.reportId ?? null })).then(
    (history) => ({ history }),
    (error: unknown) => ({ error }),
  );
}

/** The verdict with suspicion applied; reads the baseline only when the tool's verdict is ok. */
export async function judgeSuspicion(db: Db, verdict: Verdict, input: JudgeInput): Promise<Verdict> {
  if (verdict.status !== 'ok') return { ...verdict, suspicion: [] };
  const t = thresholdsFor(input.server, input.defaults);
  let history: RunNumbers[];
  if (input.prefetched) {
    const got = await input.prefetched;
    if ('error' in got) throw got.error;
    history = got.history;
  } else {
    history = await baselineLoader(db)({ serverId: input.serverId, before: input.at, window: t.window, exceptReportId: input.reportId ?? null });
  }
  return withSuspicion(verdict, judgeRun(evidenceOf(input, input.server.canaryPath), history, t));
}
