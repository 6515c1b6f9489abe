/**
 * "Accept as the new normal", and the baseline as people see it. After a deliberate change
 * (data cleaned up, a source moved) the drop and short rules would call every run suspect
 * until the old runs left the window; accepting a run restarts the baseline from it instead.
 */
import { and, asc, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { baselines, reports, results } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { ServerWithCustomer } from '../fleet/servers.ts';
import { parseStoredReport, type IngestOutcome } from './ingest.ts';
import { baselineOf, DEFAULT_THRESHOLDS, type SuspectThresholds } from './suspicion-rules.ts';
import { loadBaseline, runSeconds, thresholdsFor } from './suspicion.ts';

export interface Rebaselined {
  resultId: number;
  reportId: number;
  startsAt: Date;
  /** The accepted run and every later one, judged again against the new baseline. */
  rejudged: IngestOutcome[];
}

/**
 * Restarts `server`'s baseline from one run (by default its latest report): a baselines row
 * records it, then that run and the ones after it are parsed again and judged against the new
 * baseline. The accepted run is the first of that baseline: with no good run before it inside
 * the baseline, the drop and short rules cannot fire on it, so it becomes ok, unless it is a
 * dry run or missed its canary, which no new normal can excuse. Later runs are judged against
 * it as they come; drops and short runs are judged again once SUSPECT_MIN_RUNS runs are in.
 */
export async function rebaseline(
  db: Db,
  server: ServerWithCustomer,
  input: { reason: string; actor: string; resultId?: number | undefined; suspect?: SuspectThresholds | undefined },
): Promise<Rebaselined> {
  const reason = input.reason.trim();
  if (reason.length < 3) throw new AppError('usage', 'Say why this run is the new normal (--reason "archive moved to the NAS on 3 May"), so the team knows later.');
  if (server.removedAt) throw new AppError('conflict', `Server "${server.name}" was removed; its baseline can no longer be changed.`);
  const [run] = await db
    .select({ id: results.id, reportId: results.reportId, backupAt: results.backupAt })
    .from(results)
    .where(and(eq(results.serverId, server.id), isNotNull(results.reportId), input.resultId !== undefined ? eq(results.id, input.resultId) : undefined))
    .orderBy(desc(results.backupAt), desc(results.id))
    .limit(1);
  if (!run || run.reportId === null) {
    throw new AppError(
      input.resultId !== undefined ? 'not_found' : 'conflict',
      input.resultId !== undefined ? `Result ${input.resultId} is not a run of "${server.name}".` : `"${server.name}" has no report yet: there is no run to accept as the new normal.`,
    );
  }
  const [claimed] = await db
    .insert(baselines)
    .values({ serverId: server.id, startsAt: run.backupAt, resultId: run.id, reason, actor: input.actor })
    .onConflictDoNothing()
    .returning({ id: baselines.id });
  if (!claimed) throw new AppError('conflict', `The run of ${run.backupAt.toISOString()} is already the start of ${server.name}'s baseline: nothing to do.`);
  // The accepted run and the ones after it, oldest first, so each is judged with the ones before it.
  const later = await db
    .select({ id: reports.id })
    .from(reports)
    .where(and(eq(reports.serverId, server.id), eq(reports.state, 'stored'), sql`coalesce(${reports.finishedAt}, ${reports.receivedAt}) >= ${run.backupAt.toISOString()}::timestamptz`))
    .orderBy(asc(sql`coalesce(${reports.finishedAt}, ${reports.receivedAt})`), asc(reports.id));
  const rejudged: IngestOutcome[] = [];
  for (const r of later) rejudged.push(await parseStoredReport(db, r.id, input.suspect));
  return { resultId: run.id, reportId: run.reportId, startsAt: run.backupAt, rejudged };
}

export interface RunFigures {
  backupAt: Date;
  status: string;
  files: number | null;
  bytes: number | null;
  seconds: number | null;
}

export interface BaselineView {
  /** Good runs in the baseline the latest run was judged against, and their medians. */
  runs: number;
  minRuns: number;
  files: number | null;
  bytes: number | null;
  seconds: number | null;
  /** The latest runs, newest first (the trend). */
  recent: RunFigures[];
  /** When the baseline was last restarted by hand, and why. */
  acceptedAt: Date | null;
  acceptedReason: string | null;
}

const TREND = 7;

/** The numbers `/backup SERVER` and the details view show next to the latest run. */
export async function baselineView(db: Db, server: ServerWithCustomer, defaults: SuspectThresholds = DEFAULT_THRESHOLDS): Promise<BaselineView> {
  const t = thresholdsFor(server, defaults);
  const recentRows = await db
    .select({ backupAt: results.backupAt, status: results.status, stats: results.stats, startedAt: reports.startedAt, finishedAt: reports.finishedAt })
    .from(results)
    .innerJoin(reports, eq(reports.id, results.reportId))
    .where(and(eq(results.serverId, server.id), sql`not exists (select 1 from results n where n.report_id = ${results.reportId} and n.id > ${results.id})`))
    .orderBy(desc(results.backupAt), desc(results.id))
    .limit(TREND);
  const recent = recentRows.map((r) => ({
    backupAt: r.backupAt,
    status: r.status,
    files: r.stats.filesInspected ?? null,
    bytes: r.stats.bytesProcessed ?? null,
    seconds: runSeconds(r, r.startedAt, r.finishedAt),
  }));
  const latestAt = recent[0]?.backupAt ?? new Date();
  const history = await loadBaseline(db, server.id, latestAt, t.window);
  const base = baselineOf(history, 1);
  const [accepted] = await db
    .select({ startsAt: baselines.startsAt, reason: baselines.reason })
    .from(baselines)
    .where(eq(baselines.serverId, server.id))
    .orderBy(desc(baselines.startsAt), desc(baselines.id))
    .limit(1);
  return { runs: base.runs, minRuns: t.minRuns, files: base.files, bytes: base.bytes, seconds: base.seconds, recent, acceptedAt: accepted?.startsAt ?? null, acceptedReason: accepted?.reason ?? null };
}
