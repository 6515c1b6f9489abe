/**
 * The rules that make a finished run `suspect`: pure functions, numbers in, reasons out. No
 * clock, no database: the caller brings the run's numbers and the baseline (the server's last
 * good runs), so the rules are cheap to test and give the same answer on a reparse.
 *
 * Messages are built from numbers and from a sanitised canary path only: they are stored in
 * jsonb, which refuses \u0000, and shown in Slack.
 */

export type SuspicionRule = 'dry-run' | 'drop' | 'short' | 'canary';

export interface SuspicionReason {
  rule: SuspicionRule;
  message: string;
}

export interface SuspectThresholds {
  /** A fall of at least this percentage (vs the baseline median) in files or size is suspect. */
  dropPercent: number;
  /** A run shorter than this percentage of the baseline median duration is suspect. */
  shortPercent: number;
  /** Good runs needed before the drop and short rules judge at all. */
  minRuns: number;
  /** How many of the last good runs make the baseline. */
  window: number;
}

export const DEFAULT_THRESHOLDS: SuspectThresholds = { dropPercent: 50, shortPercent: 20, minRuns: 5, window: 14 };

/** Runs whose median lasted less than this are not judged too short: a few seconds' jitter is not evidence. */
export const MIN_JUDGED_SECONDS = 60;

/** The numbers of one run that the history rules compare. Absent: the log did not say. */
export interface RunNumbers {
  files?: number | null | undefined;
  bytes?: number | null | undefined;
  seconds?: number | null | undefined;
}

export interface RunEvidence extends RunNumbers {
  /** The tool said nothing was written. */
  dryRun?: boolean | undefined;
  /** How the tool is written ("rsync", "TSM"), for messages. */
  toolLabel: string;
  /** What the tool counts: "files", or "objects" for TSM. */
  itemWord?: string | undefined;
  /** The configured canary path, or null. */
  canary?: string | null | undefined;
  /** Whether the log shows the canary copied this run (only read when `canary` is set). */
  canarySeen?: boolean | undefined;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The baseline medians, each only when at least `minRuns` good runs have that number. */
export function baselineOf(history: readonly RunNumbers[], minRuns: number): { runs: number; files: number | null; bytes: number | null; seconds: number | null } {
  const pick = (f: (r: RunNumbers) => number | null | undefined) => {
    const values = history.map(f).filter(known);
    return values.length >= minRuns ? median(values) : null;
  };
  return { runs: history.length, files: pick((r) => r.files), bytes: pick((r) => r.bytes), seconds: pick((r) => r.seconds) };
}

/**
 * Why this run, which its tool says finished well, did not do the work. Empty: nothing
 * suspicious. `history` is the server's last good runs, newest first, without this run.
 */
export function judgeRun(run: RunEvidence, history: readonly RunNumbers[], t: SuspectThresholds = DEFAULT_THRESHOLDS): SuspicionReason[] {
  const reasons: SuspicionReason[] = [];
  if (run.dryRun) {
    reasons.push({ rule: 'dry-run', message: `dry run: ${run.toolLabel} was run as a dry run (-n / --dry-run), nothing was copied` });
  }
  const base = baselineOf(history, t.minRuns);
  const n = base.runs;
  const item = run.itemWord ?? 'files';
  const fell: string[] = [];
  if (known(run.files) && base.files !== null && base.files > 0) {
    const drop = fallPercent(run.files, base.files);
    if (drop >= t.dropPercent) {
      fell.push(`inspected ${count(run.files)} ${item}; the last ${n} good runs inspected ${count(base.files)} (median): −${Math.round(drop)} %`);
    }
  }
  if (known(run.bytes) && base.bytes !== null && base.bytes > 0) {
    const drop = fallPercent(run.bytes, base.bytes);
    if (drop >= t.dropPercent) fell.push(`saw ${size(run.bytes)}; the last ${n} good runs saw ${size(base.bytes)} (median): −${Math.round(drop)} %`);
  }
  if (fell.length) reasons.push({ rule: 'drop', message: fell.join('; and ') });
  if (known(run.seconds) && base.seconds !== null && base.seconds >= MIN_JUDGED_SECONDS) {
    const share = (run.seconds / base.seconds) * 100;
    if (share < t.shortPercent) {
      reasons.push({
        rule: 'short',
        message: `ran ${duration(run.seconds)}; the last ${n} good runs took ${duration(base.seconds)} (median): ${share < 1 ? '<1' : Math.round(share)} % of the usual, under ${t.shortPercent} %`,
      });
    }
  }
  if (run.canary && !run.canarySeen) {
    reasons.push({ rule: 'canary', message: `canary ${sanitisePath(run.canary)} was not copied this run` });
  }
  return reasons;
}

function fallPercent(now: number, usual: number): number {
  return Math.max(0, ((usual - now) / usual) * 100);
}

/** A path fit for a stored message: no control characters (jsonb refuses \u0000), bounded length. */
export function sanitisePath(path: string): string {
   
  const clean = path.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 200 ? `…${clean.slice(-199)}` : clean;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}
