import { and, asc, count, eq, gt, gte, inArray, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { reports } from '../db/schema.ts';
import { parseStoredReport } from './ingest.ts';
import { latestResultForReport } from './results.ts';
import type { SuspectThresholds } from './suspicion.ts';

export interface ReparseScope {
  serverIds?: number[];
  since?: Date;
  /** Suspicion thresholds from the configuration (built-in defaults when absent). */
  suspect?: SuspectThresholds;
}

export interface Change {
  reportId: number;
  serverId: number;
  from: { status: string; code: number } | null;
  to: { status: string; code: number };
  resultId: number;
}

export interface ReparseReport {
  total: number;
  changed: Change[];
}

const PAGE = 200;

/** How many stored reports a reparse would touch (for progress bars). */
export async function countReports(db: Db, scope: ReparseScope): Promise<number> {
  const [row] = await db.select({ n: count() }).from(reports).where(where(scope));
  return Number(row?.n ?? 0);
}

function where(scope: ReparseScope, after = 0): SQL | undefined {
  return and(
    eq(reports.state, 'stored'),
    gt(reports.id, after),
    scope.serverIds ? inArray(reports.serverId, scope.serverIds.length ? scope.serverIds : [-1]) : undefined,
    scope.since ? gte(reports.receivedAt, scope.since) : undefined,
  );
}

/**
 * Runs the current parser (and the exceptions now in force) over stored raw reports,
 * writing a new result for each; older results stay. Reports what changed.
 */
export async function reparseReports(db: Db, scope: ReparseScope, onProgress?: (done: number, changed: number) => void | Promise<void>): Promise<ReparseReport> {
  const changed: Change[] = [];
  let total = 0;
  let after = 0;
  for (;;) {
    const page = await db.select({ id: reports.id, serverId: reports.serverId }).from(reports).where(where(scope, after)).orderBy(asc(reports.id)).limit(PAGE);
    if (page.length === 0) break;
    for (const r of page) {
      const before = await latestResultForReport(db, r.id);
      const outcome = await parseStoredReport(db, r.id, scope.suspect);
      total++;
      const to = { status: outcome.verdict.status, code: outcome.verdict.code };
      if (!before || before.status !== to.status || before.code !== to.code) {
        changed.push({ reportId: r.id, serverId: r.serverId, from: before ? { status: before.status, code: before.code } : null, to, resultId: outcome.resultId });
      }
      await onProgress?.(total, changed.length);
    }
    after = page[page.length - 1]!.id;
  }
  return { total, changed };
}

/** "3 of 10 results changed: failed → ok (2), incomplete → failed (1)". */
export function describeChanges(r: ReparseReport): string {
  if (r.total === 0) return 'No stored reports matched.';
  if (r.changed.length === 0) return `Reparsed ${r.total} report${r.total === 1 ? '' : 's'}; no verdict changed.`;
  const counts = new Map<string, number>();
  for (const c of r.changed) {
    const key = `${c.from ? c.from.status : 'unparsed'} → ${c.to.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`);
  return `${r.changed.length} of ${r.total} result${r.total === 1 ? '' : 's'} changed: ${parts.join(', ')}.`;
}
