/**
 * The pure half of suspicion: a server's settings, how long a run took, and what can be said
 * of a run without its history (dry run, canary). No database here, so `backupbot parse` can
 * use it without loading drizzle.
 */
import { formatLabel, itemWordOf } from '../parsers/index.ts';
import type { ParsedReport } from '../parsers/types.ts';
import type { Verdict } from './classify.ts';
import { DEFAULT_THRESHOLDS, judgeRun, type SuspectThresholds, type SuspicionReason } from './suspicion-rules.ts';

/** What a server says about suspicion: its canary and its own thresholds (null: the default). */
export interface SuspectSettings {
  canaryPath?: string | null | undefined;
  suspectDropPercent?: number | null | undefined;
  suspectShortPercent?: number | null | undefined;
}

export function thresholdsFor(server: SuspectSettings, defaults: SuspectThresholds = DEFAULT_THRESHOLDS): SuspectThresholds {
  return {
    ...defaults,
    dropPercent: server.suspectDropPercent ?? defaults.dropPercent,
    shortPercent: server.suspectShortPercent ?? defaults.shortPercent,
  };
}

/** The parser option that makes the log tell whether the canary was copied. */
export function canaryWatch(server: SuspectSettings): { watchPaths?: string[] } {
  return server.canaryPath ? { watchPaths: [server.canaryPath] } : {};
}

/**
 * How long the run took: the tool's own account when its log gives one (TSM's elapsed time,
 * restic's "in 0:41:11"), which measures the work itself; else the upload's X-Started-At /
 * X-Finished-At, which also hold whatever the script did around it. The baseline query
 * uses the same order, so a run is always compared like with like.
 */
export function runSeconds(parsed: Pick<ParsedReport, 'stats'>, startedAt: Date | null, finishedAt: Date | null): number | null {
  if (parsed.stats.durationSeconds !== undefined) return parsed.stats.durationSeconds;
  if (startedAt && finishedAt && finishedAt >= startedAt) return (finishedAt.getTime() - startedAt.getTime()) / 1000;
  return null;
}

export interface RunToJudge {
  parsed: ParsedReport;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The reasons that need no history (dry run, canary): all `parse` can say. */
export function judgeWithoutHistory(run: RunToJudge, canary: string | null | undefined): SuspicionReason[] {
  return judgeRun(evidenceOf(run, canary), [], DEFAULT_THRESHOLDS);
}

export function evidenceOf(run: RunToJudge, canary: string | null | undefined) {
  const s = run.parsed.stats;
  return {
    files: s.filesInspected,
    bytes: s.bytesProcessed,
    seconds: runSeconds(run.parsed, run.startedAt, run.finishedAt),
    dryRun: s.dryRun,
    toolLabel: formatLabel(run.parsed.format),
    itemWord: itemWordOf(run.parsed.format),
    canary: canary ?? null,
    canarySeen: canary ? (run.parsed.seenPaths ?? []).includes(canary) : false,
  };
}

/** Turns an ok verdict into `suspect` when there are reasons; anything else is left as it is. */
export function withSuspicion(verdict: Verdict, reasons: SuspicionReason[]): Verdict {
  if (verdict.status !== 'ok' || reasons.length === 0) return { ...verdict, suspicion: [] };
  const hint =
    'The tool says it finished, but it did not do the usual work (see the reasons). Check on the customer server that the backup job still covers every source and was not stopped early or run as a test. If the change is deliberate (data cleaned up, a source moved), accept this run as the new normal.';
  return { ...verdict, status: 'suspect', suspicion: reasons, hint, caseHint: hint };
}

