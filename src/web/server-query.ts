import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { acknowledgements, auditLog, reports, results } from '../db/schema.ts';
import { listExceptions } from '../exceptions/workflow.ts';
import type { ServerWithCustomer } from '../fleet/servers.ts';
import { dayIn } from '../reports/days.ts';
import { currentResults, resultHistory } from '../reports/status.ts';
import { serverStatus } from '../reports/summary.ts';
import type { ResultRow } from '../reports/results.ts';
import { addDays, CELL_KINDS, type CellKind } from './views/history-model.ts';
import type { ReportView, ServerPageData, StatsPoint } from './views/server.ts';
import { codeLabel } from '../parsers/index.ts';

const DAY_MS = 86_400_000;
const STRIP_DAYS = 30;
const SERIES_DAYS = 90;
const REPORTS_SHOWN = 100;
const FILE_ERRORS_SHOWN = 500;

/** The standing verdict of a day as a strip cell. Pure. */
function stripCell(day: string, rows: ResultRow[], ackedIds: Set<number>): { day: string; kind: CellKind; title: string } {
  const r = rows[rows.length - 1];
  if (!r) return { day, kind: 'none', title: `${day}: no report recorded` };
  const kind: CellKind = ackedIds.has(r.id)
    ? 'ack'
    : r.status === 'ok'
      ? r.okByExceptions
        ? 'exc'
        : 'ok'
      : r.status === 'incomplete'
        ? 'incomplete'
        : r.status === 'missing'
          ? 'missing'
          : 'failed';
  return { day, kind, title: `${day}: ${CELL_KINDS[kind].label}${r.status === 'missing' ? '' : ` · ${codeLabel(r.format, r.code)}`} · ${r.meaning}` };
}

/**
 * Everything the server page shows, one query per section: the verdict (with its file
 * errors), 90 days of results (strip, chart and the chosen day), the report list, the
 * exceptions, acknowledgements and audit entries.
 */
export async function serverPageData(db: Db, server: ServerWithCustomer, linkName: string, day: string | null, now: Date, tz: string): Promise<ServerPageData> {
  const since = new Date(now.getTime() - SERIES_DAYS * DAY_MS);
  const dayFrom = day ? sql`(${day}::timestamp at time zone ${tz})` : null;
  const dayTo = day ? sql`(${addDays(day, 1)}::timestamp at time zone ${tz})` : null;
  const [status, history, reportRows, exceptions, acks, auditRows, dayRows] = await Promise.all([
    serverStatus(db, server, FILE_ERRORS_SHOWN, now),
    resultHistory(db, server.id, since),
    db
      .select({
        id: reports.id,
        receivedAt: reports.receivedAt,
        size: reports.size,
        state: reports.state,
        startedAt: reports.startedAt,
        finishedAt: reports.finishedAt,
        status: sql<string | null>`latest.status`,
        code: sql<number | null>`latest.code`,
        format: sql<string | null>`latest.format`,
        meaning: sql<string | null>`latest.meaning`,
      })
      .from(reports)
      .leftJoin(
        sql`lateral (select r.status, r.code, r.format, r.meaning from results r where r.report_id = ${reports.id} order by r.id desc limit 1) latest`,
        sql`true`,
      )
      .where(eq(reports.serverId, server.id))
      .orderBy(desc(reports.receivedAt), desc(reports.id))
      .limit(REPORTS_SHOWN),
    listExceptions(db, server, now),
    db.select().from(acknowledgements).where(eq(acknowledgements.serverId, server.id)).orderBy(desc(acknowledgements.createdAt)).limit(50),
    db.select().from(auditLog).where(eq(auditLog.serverId, server.id)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(50),
    dayFrom && dayTo
      ? db
          .select()
          .from(results)
          .where(and(eq(results.serverId, server.id), gte(results.backupAt, sql`${dayFrom}`), lt(results.backupAt, sql`${dayTo}`)))
          .orderBy(results.backupAt, results.id)
      : Promise.resolve([] as ResultRow[]),
  ]);
  const current = currentResults(history);
  // Acknowledged results: the acknowledged one and the same failure after it, until something else.
  const acked = new Set<number>();
  for (const a of acks) {
    for (const r of current) {
      if (r.id < a.resultId) continue;
      if (r.status !== a.status || r.code !== a.code) break;
      acked.add(r.id);
    }
  }
  const byDay = new Map<string, ResultRow[]>();
  for (const r of current) {
    const d = dayIn(tz, r.backupAt);
    byDay.set(d, [...(byDay.get(d) ?? []), r]);
  }
  const strip = [];
  for (let i = STRIP_DAYS - 1; i >= 0; i--) {
    const d = dayIn(tz, new Date(now.getTime() - i * DAY_MS));
    strip.push(stripCell(d, byDay.get(d) ?? [], acked));
  }
  const reportTimes = new Map(reportRows.map((r) => [r.id, r]));
  const series: StatsPoint[] = current
    .filter((r) => r.reportId !== null)
    .map((r) => {
      const rep = reportTimes.get(r.reportId!);
      const seconds = rep?.startedAt && rep.finishedAt ? (rep.finishedAt.getTime() - rep.startedAt.getTime()) / 1000 : undefined;
      return { at: r.backupAt, files: r.stats.files, size: r.stats.totalSize ?? r.stats.totalFileSize, seconds };
    });
  const reportViews: ReportView[] = reportRows.map((r) => ({
    id: r.id,
    receivedAt: r.receivedAt,
    size: r.size,
    state: r.state,
    status: r.status,
    code: r.code === null ? null : Number(r.code),
    format: r.format,
    meaning: r.meaning,
  }));
  return {
    server,
    linkName,
    row: status.row,
    latest: status.latest,
    fileErrors: status.fileErrors,
    strip,
    day,
    dayResults: currentResults(dayRows),
    series,
    exceptions,
    acks,
    audit: auditRows,
    reports: reportViews,
    tz,
    now,
  };
}
