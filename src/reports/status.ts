import { and, desc, eq, getTableColumns, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { customers, results, servers } from '../db/schema.ts';
import type { ServerWithCustomer } from '../fleet/servers.ts';
import { activeAcks } from '../acks/acknowledge.ts';
import type { Status } from './classify.ts';
import { dayIn } from './days.ts';
import { fileErrorsFor, type ResultRow } from './results.ts';

export interface ServerStatus {
  server: ServerWithCustomer;
  /** The newest result by backup time (within `since`, when given), or null. */
  latest: ResultRow | null;
  /** When the server last had an ok result, ever. */
  lastSuccessAt: Date | null;
}

export interface FleetQuery {
  /** Only results whose backup time is at or after this count as "latest". */
  since?: Date;
  serverIds?: number[];
}

/**
 * Every server with its latest result and its last success. Both come from a LATERAL
 * probe per server into results_server_latest_idx / results_server_ok_idx, so the cost
 * grows with the number of servers, not with a year of history.
 */
export async function fleetStatus(db: Db, q: FleetQuery = {}): Promise<ServerStatus[]> {
  const latest = db
    .select()
    .from(results)
    .where(and(eq(results.serverId, servers.id), q.since ? gte(results.backupAt, q.since) : undefined))
    .orderBy(desc(results.backupAt), desc(results.id))
    .limit(1)
    .as('latest');
  // max() lets the planner take one step down results_server_ok_idx (min/max optimisation);
  // the equivalent ORDER BY ... LIMIT 1 made it read and sort every ok row of the server.
  const lastOk = sql<Date | string | null>`(select max(r.backup_at) from results r where r.server_id = ${servers.id} and r.status = 'ok')`;
  // Drizzle selects a subquery's columns one by one; map them back to a result row.
  const latestCols = Object.fromEntries(
    Object.keys(getTableColumns(results)).map((k) => [k, latest[k as keyof typeof latest]]),
  ) as unknown as typeof results._.columns;
  const rows = await db
    .select({ server: servers, customerName: customers.name, latest: latestCols, lastSuccessAt: lastOk })
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .leftJoinLateral(latest, sql`true`)
    .where(q.serverIds ? inArray(servers.id, q.serverIds) : undefined);
  return rows
    .map((r) => ({
      server: { ...r.server, customerName: r.customerName },
      latest: r.latest && r.latest.id !== null ? r.latest : null,
      lastSuccessAt: r.lastSuccessAt === null ? null : new Date(r.lastSuccessAt),
    }))
    .sort(worstFirst);
}

const DAY_MS = 24 * 60 * 60 * 1000;

const severity: Record<Status | 'none', number> = { failed: 0, incomplete: 1, missing: 2, none: 3, ok: 4 };

export function statusOf(s: ServerStatus): Status | 'none' {
  return (s.latest?.status as Status | undefined) ?? 'none';
}

function worstFirst(a: ServerStatus, b: ServerStatus): number {
  return (
    severity[statusOf(a)] - severity[statusOf(b)] ||
    a.server.customerName.localeCompare(b.server.customerName) ||
    a.server.name.localeCompare(b.server.name)
  );
}

/**
 * One server in detail: latest result, last success, the latest file errors (real failures
 * first: they are what the reader has to act on) and the acknowledgement in force.
 */
export async function serverStatus(db: Db, server: ServerWithCustomer, fileErrorLimit = 1000) {
  const [row] = await fleetStatus(db, { serverIds: [server.id] });
  const latest = row?.latest ?? null;
  const [errors, acks] = await Promise.all([latest ? fileErrorsFor(db, latest.id, fileErrorLimit) : [], activeAcks(db, [server.id])]);
  return {
    server,
    latest,
    lastSuccessAt: row?.lastSuccessAt ?? null,
    fileErrors: [...errors].sort((a, b) => Number(a.excepted) - Number(b.excepted)),
    ack: acks.get(server.id) ?? null,
  };
}

export interface DayResults {
  day: string;
  /** That day's results, oldest first. */
  results: Array<{ status: string; code: number }>;
}

/** One entry per calendar day (in `tz`) of the last `days` days, oldest first. Pure. */
export function resultsByDay(rows: ReadonlyArray<{ backupAt: Date; status: string; code: number }>, now: Date, days: number, tz: string): DayResults[] {
  const byDay = new Map<string, DayResults['results']>();
  for (const r of [...rows].sort((a, b) => a.backupAt.getTime() - b.backupAt.getTime())) {
    const day = dayIn(tz, r.backupAt);
    byDay.set(day, [...(byDay.get(day) ?? []), { status: r.status, code: r.code }]);
  }
  const strip: DayResults[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = dayIn(tz, new Date(now.getTime() - i * DAY_MS));
    strip.push({ day, results: byDay.get(day) ?? [] });
  }
  return strip;
}

export async function resultHistory(db: Db, serverId: number, since: Date): Promise<ResultRow[]> {
  return db
    .select()
    .from(results)
    .where(and(eq(results.serverId, serverId), gte(results.backupAt, since)))
    .orderBy(desc(results.backupAt), desc(results.id));
}
