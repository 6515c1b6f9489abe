import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { jsonRowReader } from '../db/json-row.ts';
import { rowsOf } from '../db/rows.ts';
import { results, servers } from '../db/schema.ts';
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
  if (q.serverIds?.length === 0) return [];
  // Whole rows as JSON: drizzle's per-field mapping of 10,000 wide rows took most of the time.
  const rows = rowsOf<{ server: Record<string, unknown>; customer_name: string; latest: Record<string, unknown> | null; last_success_at: string | Date | null }>(
    await db.execute(sql`
      select to_jsonb(s) as server, c.name as customer_name, to_jsonb(r) as latest, sc.last_success_at
      from servers s
      join customers c on c.id = s.customer_id
      left join server_current sc on sc.server_id = s.id
      left join results r on r.id = sc.latest_result_id
      where true
        ${q.serverIds ? sql`and s.id in ${q.serverIds}` : sql``}
        ${q.includeRemoved ? sql`` : sql`and s.removed_at is null`}`),
  );
  return rows
    .map((r) => {
      const server = { ...readServer(r.server), customerName: r.customer_name };
      const last = r.latest ? readResult(r.latest) : null;
      return {
        server,
        latest: last,
        lastSuccessAt: r.last_success_at === null ? null : new Date(r.last_success_at),
        state: server.removedAt ? toRemovedState(last) : serverState(server, last, now),
      };
    })
    .sort(worstFirst);
}

const readServer = jsonRowReader(servers);
const readResult = jsonRowReader(results);

/** A server's state and what the counts need, without its latest result's details. */
export interface ServerStateOnly {
  serverId: number;
  state: ServerState;
  okByExceptions: boolean;
  lastSuccessAt: Date | null;
  createdAt: Date;
}

/**
 * Every server's state from narrow rows (its schedule, and its latest result's status and
 * time from `server_current`). The fleet-wide views count with this and fetch the full rows
 * (fleetStatus with serverIds) only for the servers they list: at 10,000 servers, reading and
 * decoding every latest result in full was most of a /backup status.
 */
export async function fleetStates(db: Db, q: Pick<FleetQuery, 'now'> = {}): Promise<ServerStateOnly[]> {
  const now = q.now ?? new Date();
  const rows = rowsOf<{
    id: number;
    schedule_cron: string;
    timezone: string;
    grace_minutes: number;
    created_at: Date | string;
    paused_at: Date | string | null;
    paused_until: Date | string | null;
    status: string | null;
    backup_at: Date | string | null;
    ok_by_exceptions: boolean | null;
    last_success_at: Date | string | null;
  }>(
    await db.execute(sql`
      select s.id, s.schedule_cron, s.timezone, s.grace_minutes, s.created_at, s.paused_at, s.paused_until,
             r.status, r.backup_at, r.ok_by_exceptions, sc.last_success_at
      from servers s
      left join server_current sc on sc.server_id = s.id
      left join results r on r.id = sc.latest_result_id
      where s.removed_at is null`),
  );
  const date = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));
  return rows.map((r) => {
    const server = {
      scheduleCron: r.schedule_cron,
      timezone: r.timezone,
      graceMinutes: r.grace_minutes,
      createdAt: date(r.created_at)!,
      pausedAt: date(r.paused_at),
      pausedUntil: date(r.paused_until),
    };
    const latest = r.status === null ? null : { status: r.status, backupAt: date(r.backup_at)! };
    return {
      serverId: Number(r.id),
      state: serverState(server, latest, now),
      okByExceptions: r.ok_by_exceptions === true,
      lastSuccessAt: date(r.last_success_at),
      createdAt: server.createdAt,
    };
  });
}

/** A removed server is no longer expected: it shows what its last result said. */
function toRemovedState(latest: ResultRow | null): ServerState {
  return latest && (SERVER_STATES as readonly string[]).includes(latest.status) ? (latest.status as ServerState) : 'waiting';
}

const DAY_MS = 24 * 60 * 60 * 1000;

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
