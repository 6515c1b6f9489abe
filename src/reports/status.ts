import { and, desc, eq, getTableColumns, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { customers, results, servers } from '../db/schema.ts';
import type { ServerWithCustomer } from '../fleet/servers.ts';
import { SERVER_STATES, serverState, STATE_SEVERITY, type ServerState } from '../fleet/state.ts';
import { dayIn } from './days.ts';
import type { ResultRow } from './results.ts';

export interface ServerStatus {
  server: ServerWithCustomer;
  /** The newest result by backup time, or null. */
  latest: ResultRow | null;
  /** When the server last had an ok result, ever. */
  lastSuccessAt: Date | null;
  /** Its state now, by the one definition in fleet/state.ts. */
  state: ServerState;
}

export interface FleetQuery {
  serverIds?: number[];
  /** Removed (decommissioned) servers are left out unless asked for. */
  includeRemoved?: boolean;
  /** The time states are judged at (default: now). */
  now?: Date;
}

/**
 * Every server with its latest result, its last success and its state. The first two come
 * from a LATERAL probe per server into results_server_latest_idx / results_server_ok_idx, so
 * the cost grows with the number of servers, not with a year of history.
 */
export async function fleetStatus(db: Db, q: FleetQuery = {}): Promise<ServerStatus[]> {
  const now = q.now ?? new Date();
  const latest = db
    .select()
    .from(results)
    .where(eq(results.serverId, servers.id))
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
    .where(and(q.serverIds ? inArray(servers.id, q.serverIds) : undefined, q.includeRemoved ? undefined : isNull(servers.removedAt)));
  return rows
    .map((r) => {
      const server = { ...r.server, customerName: r.customerName };
      const last = r.latest && r.latest.id !== null ? r.latest : null;
      return {
        server,
        latest: last,
        lastSuccessAt: r.lastSuccessAt === null ? null : new Date(r.lastSuccessAt),
        state: server.removedAt ? toRemovedState(last) : serverState(server, last, now),
      };
    })
    .sort(worstFirst);
}

/** A removed server is no longer expected: it shows what its last result said. */
function toRemovedState(latest: ResultRow | null): ServerState {
  return latest && (SERVER_STATES as readonly string[]).includes(latest.status) ? (latest.status as ServerState) : 'waiting';
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function statusOf(s: ServerStatus): ServerState {
  return s.state;
}

function worstFirst(a: ServerStatus, b: ServerStatus): number {
  return (
    STATE_SEVERITY[a.state] - STATE_SEVERITY[b.state] ||
    a.server.customerName.localeCompare(b.server.customerName) ||
    a.server.name.localeCompare(b.server.name)
  );
}

export interface DayRow {
  id: number;
  reportId: number | null;
  backupAt: Date;
  status: string;
  code: number;
  format?: string;
}

/**
 * The results that stand today, oldest first: a reparse adds a newer result for the same
 * report, which replaces the older one (so a day that turned ok after an exception shows ok).
 */
export function currentResults<T extends DayRow>(rows: ReadonlyArray<T>): T[] {
  const newest = new Map<number, T>();
  const synthetic: T[] = [];
  for (const r of rows) {
    if (r.reportId === null) synthetic.push(r);
    else if ((newest.get(r.reportId)?.id ?? -1) < r.id) newest.set(r.reportId, r);
  }
  return [...newest.values(), ...synthetic].sort((a, b) => a.backupAt.getTime() - b.backupAt.getTime() || a.id - b.id);
}

export interface DayResults {
  day: string;
  /** That day's results, oldest first. */
  results: Array<{ status: string; code: number; format?: string }>;
}

/** One entry per calendar day (in `tz`) of the last `days` days, oldest first. Pure. */
export function resultsByDay(rows: ReadonlyArray<DayRow>, now: Date, days: number, tz: string): DayResults[] {
  const byDay = new Map<string, DayResults['results']>();
  for (const r of currentResults(rows)) {
    const day = dayIn(tz, r.backupAt);
    byDay.set(day, [...(byDay.get(day) ?? []), { status: r.status, code: r.code, ...(r.format !== undefined ? { format: r.format } : {}) }]);
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
