import { and, desc, eq, gte, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { customers, results, serverCurrent, servers } from '../db/schema.ts';
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
 * from `server_current` (one row per server, kept by triggers in the same transaction as each
 * result), joined to the latest result by its primary key: the cost grows with the number of
 * servers, never with the length of their history.
 */
export async function fleetStatus(db: Db, q: FleetQuery = {}): Promise<ServerStatus[]> {
  const now = q.now ?? new Date();
  const rows = await db
    .select({ server: servers, customerName: customers.name, latest: results, lastSuccessAt: serverCurrent.lastSuccessAt })
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .leftJoin(serverCurrent, eq(serverCurrent.serverId, servers.id))
    .leftJoin(results, eq(results.id, serverCurrent.latestResultId))
    .where(and(q.serverIds ? inArray(servers.id, q.serverIds) : undefined, q.includeRemoved ? undefined : isNull(servers.removedAt)));
  return rows
    .map((r) => {
      const server = { ...r.server, customerName: r.customerName };
      const last = r.latest ?? null;
      return {
        server,
        latest: last,
        lastSuccessAt: r.lastSuccessAt,
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
