import type { BaselineView } from '../../reports/baseline.ts';
import type { SuspicionReason } from '../../reports/suspicion-rules.ts';
import { count, duration, size } from '../../reports/suspicion-rules.ts';
import { esc } from './blocks.ts';
import { icon, when } from './format.ts';

/** Why a run is suspect, one reason a line. Pure. */
export function suspicionLines(reasons: readonly SuspicionReason[] | undefined): string[] {
  return (reasons ?? []).map((r) => `:mag: ${esc(r.message)}`);
}

/**
 * The latest run's numbers next to the baseline it was judged against, and the trend over the
 * last runs: "files 1,204 (usual 48,113) · size 3.9 GB (usual 1.2 TB) · took 1 min (usual 41 min)".
 */
export function baselineLines(b: BaselineView | null | undefined, tz: string): string[] {
  const latest = b?.recent[0];
  if (!b || !latest) return [];
  const pair = (label: string, now: number | null, usual: number | null, fmt: (n: number) => string) =>
    now === null && usual === null ? null : `${label} *${now === null ? '?' : fmt(now)}*${usual === null ? '' : ` (usual ${fmt(usual)})`}`;
  const parts = [pair('files', latest.files, b.files, count), pair('size', latest.bytes, b.bytes, size), pair('took', latest.seconds, b.seconds, duration)].filter(Boolean);
  const lines = [`_Latest vs baseline:_ ${parts.join(' · ') || 'the log gives no numbers'}`];
  lines.push(
    b.runs >= b.minRuns
      ? `_Baseline:_ median of the last ${b.runs} good runs${b.acceptedAt ? ` since ${when(b.acceptedAt, tz)} (${esc(b.acceptedReason ?? '')})` : ''}`
      : `_Baseline:_ still learning (${b.runs} of ${b.minRuns} good runs)${b.acceptedAt ? `, restarted ${when(b.acceptedAt, tz)}: ${esc(b.acceptedReason ?? '')}` : ''}`,
  );
  const trend = b.recent.slice().reverse();
  if (trend.length > 1) lines.push(`_Trend (files, oldest first):_ ${trend.map((r) => `${icon(r.status)} ${r.files === null ? '?' : count(r.files)}`).join(' → ')}`);
  return lines;
}
