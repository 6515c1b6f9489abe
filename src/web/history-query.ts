import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';

/** The filters and window of the history page, already validated. */
export interface HistoryQuery {
  /** First day shown (YYYY-MM-DD, in tz) and the day after the last one. */
  from: string;
  to: string;
  /** Days per cell: 1 (month view) or 7 (year view, the worst day of each week). */
  bucketDays: 1 | 7;
  tz: string;
  customer?: string | undefined;
  target?: string | undefined;
  /** Only servers with at least one cell in this state inside the window. */
  state?: string | undefined;
  page: number;
  perPage: number;
}

export interface HistoryServer {
  id: number;
  name: string;
  customer: string;
  targetHost: string | null;
  /** Day of the first result ever (YYYY-MM-DD in tz), null when none. */
  firstDay: string | null;
  pausedAt: Date | null;
  pausedUntil: Date | null;
  removedAt: Date | null;
}

export interface HistoryCell {
  serverId: number;
  /** Bucket number from the window's first day. */
  idx: number;
  /** The day the shown result belongs to (YYYY-MM-DD). */
  day: string;
  resultId: number;
  status: string;
  code: number;
  format: string;
  meaning: string;
  okByExceptions: boolean;
}

export interface HistoryAck {
  serverId: number;
  resultId: number;
  status: string;
  code: number;
}

export interface HistoryData {
  servers: HistoryServer[];
  total: number;
  cells: HistoryCell[];
  acks: HistoryAck[];
  /** Filter choices, so the form can offer them. */
  customers: string[];
  targets: string[];
}

/** Result statuses a cell can show, and how bad each is (for the worst-of-week view). */
const SEVERITY = sql`case when r.status = 'failed' then 0 when r.status = 'suspect' then 1 when r.status = 'incomplete' then 2 when r.status = 'missing' then 3 when r.ok_by_exceptions then 4 else 5 end`;

function stateFilter(q: HistoryQuery, fromTs: SQL, toTs: SQL): SQL | undefined {
  if (!q.state) return undefined;
  if (q.state === 'paused') return sql`s.paused_at is not null`;
  // An acknowledgement covers its own result and the same failure after it: it shows in the window when its result is not after it.
  if (q.state === 'acknowledged') return sql`exists (select 1 from acknowledgements a join results r on r.id = a.result_id where a.server_id = s.id and r.backup_at < ${toTs})`;
  const match =
    q.state === 'ok-exceptions' ? sql`r.status = 'ok' and r.ok_by_exceptions` : q.state === 'ok' ? sql`r.status = 'ok' and not r.ok_by_exceptions` : sql`r.status = ${q.state}`;
  return sql`exists (select 1 from results r where r.server_id = s.id and r.backup_at >= ${fromTs} and r.backup_at < ${toTs} and ${match})`;
}

/**
 * Everything the history page shows, in four queries however many servers: the page of
 * servers (filtered and counted in one go), the latest current result of every server and
 * day (worst day per week in the year view), the acknowledgements, and the filter choices.
 * The per-day pick uses results_server_latest_idx: a reparse has the same backup time and a
 * higher id, so the newest (backup_at, id) of a day is the standing verdict.
 */
export async function historyData(db: Db, q: HistoryQuery): Promise<HistoryData> {
  const fromTs = sql`(${q.from}::timestamp at time zone ${q.tz})`;
  const toTs = sql`(${q.to}::timestamp at time zone ${q.tz})`;
  const where = sql.join(
    [
      sql`true`,
      q.customer ? sql`lower(c.name) = lower(${q.customer})` : undefined,
      q.target ? sql`s.target_host = ${q.target}` : undefined,
      stateFilter(q, fromTs, toTs),
      // A server removed before the window has nothing to show in it.
      sql`(s.removed_at is null or s.removed_at >= ${fromTs})`,
    ].filter((x): x is SQL => x !== undefined),
    sql` and `,
  );
  type ServerSqlRow = {
    id: number;
    name: string;
    customer: string;
    target_host: string | null;
    first_day: string | null;
    paused_at: string | Date | null;
    paused_until: string | Date | null;
    removed_at: string | Date | null;
    total: number | string;
  };
  const serverRows = await db.execute(sql`
    select s.id, s.name, c.name as customer, s.target_host, s.paused_at, s.paused_until, s.removed_at,
      (select to_char(min(r.backup_at) at time zone ${q.tz}, 'YYYY-MM-DD') from results r where r.server_id = s.id) as first_day,
      count(*) over () as total
    from servers s join customers c on c.id = s.customer_id
    where ${where}
    order by lower(c.name), lower(s.name), s.id
    limit ${q.perPage} offset ${(q.page - 1) * q.perPage}`);
  const list = rowsOf<ServerSqlRow>(serverRows);
  const servers: HistoryServer[] = list.map((r) => ({
    id: Number(r.id),
    name: r.name,
    customer: r.customer,
    targetHost: r.target_host,
    firstDay: r.first_day,
    pausedAt: toDate(r.paused_at),
    pausedUntil: toDate(r.paused_until),
    removedAt: toDate(r.removed_at),
  }));
  const total = list.length ? Number(list[0]!.total) : 0;
  const ids = servers.map((s) => s.id);
  const idList = sql`array[${sql.join(ids.length ? ids.map((id) => sql`${id}`) : [sql`0`], sql`, `)}]::int[]`;
  const perDay = sql`
    select distinct on (r.server_id, r.day)
      r.server_id, r.day, r.id, r.status, r.code, r.format, r.meaning, r.ok_by_exceptions, ${SEVERITY} as severity
    from (select r.*, (r.backup_at at time zone ${q.tz})::date as day
          from results r
          where r.server_id = any(${idList}) and r.backup_at >= ${fromTs} and r.backup_at < ${toTs}) r
    order by r.server_id, r.day, r.backup_at desc, r.id desc`;
  const indexed = sql`select d.*, (d.day - ${q.from}::date) as idx from (${perDay}) d`;
  const cellsSql =
    q.bucketDays === 1
      ? indexed
      : sql`select distinct on (w.server_id, w.week) w.*, w.week as idx
            from (select i.server_id, i.day, i.id, i.status, i.code, i.format, i.meaning, i.ok_by_exceptions, i.severity, i.idx / 7 as week from (${indexed}) i) w
            order by w.server_id, w.week, w.severity, w.day desc`;
  // One row per server with its cells packed into a string: parsing 2,000 rows instead of
  // 60,000 is most of the page's time on a big fleet.
  const packed = sql`select c.server_id, string_agg(concat_ws(E'\x1f', c.idx, c.id, c.status, c.code, c.format, c.ok_by_exceptions::int, c.day, c.meaning), E'\x1e' order by c.idx) as cells
    from (${cellsSql}) c group by c.server_id`;
  const [cellRows, ackRows, choiceRows] = await Promise.all([
    ids.length ? db.execute(packed) : Promise.resolve([]),
    ids.length
      ? db.execute(
          sql`select server_id, result_id, status, code from acknowledgements where server_id = any(${idList}) order by server_id, result_id`,
        )
      : Promise.resolve([]),
    db.execute(
      sql`select distinct 'customer' as kind, c.name as value from customers c
          union select distinct 'target', s.target_host from servers s where s.target_host is not null
          order by 1, 2`,
    ),
  ]);
  const choices = rowsOf<{ kind: string; value: string }>(choiceRows);
  return {
    servers,
    total,
    cells: rowsOf<{ server_id: number; cells: string }>(cellRows).flatMap((r) => unpackCells(Number(r.server_id), r.cells)),
    acks: rowsOf<{ server_id: number; result_id: number | string; status: string; code: number }>(ackRows).map((a) => ({ serverId: Number(a.server_id), resultId: Number(a.result_id), status: a.status, code: Number(a.code) })),
    customers: choices.filter((c) => c.kind === 'customer').map((c) => c.value),
    targets: choices.filter((c) => c.kind === 'target').map((c) => c.value),
  };
}

/** Reads back the cells packed by the query (fields split by \x1f, cells by \x1e). */
function unpackCells(serverId: number, packed: string): HistoryCell[] {
  return packed.split('\x1e').map((c) => {
    const [idx, id, status, code, format, exc, day, ...meaning] = c.split('\x1f');
    return {
      serverId,
      idx: Number(idx),
      day: day!.slice(0, 10),
      resultId: Number(id),
      status: status!,
      code: Number(code),
      format: format!,
      meaning: meaning.join(' '),
      okByExceptions: exc === '1',
    };
  });
}

function toDate(v: string | Date | null): Date | null {
  return v === null ? null : v instanceof Date ? v : new Date(v);
}



export interface DayCounts {
  day: string;
  ok: number;
  exc: number;
  failed: number;
  incomplete: number;
  missing: number;
}

/**
 * How many servers ended each day (in tz) in each state, from the same per-server, per-day
 * pick as the heatmap, counted in SQL: one row per day and state, whatever the fleet's size.
 */
export async function fleetDayCounts(db: Db, from: string, to: string, tz: string): Promise<DayCounts[]> {
  const fromTs = sql`(${from}::timestamp at time zone ${tz})`;
  const toTs = sql`(${to}::timestamp at time zone ${tz})`;
  const rows = rowsOf<{ day: string | Date; kind: string; n: number | string }>(
    await db.execute(sql`
      select d.day, case when d.status = 'ok' and d.ok_by_exceptions then 'exc' when d.status = 'ok' then 'ok'
                         when d.status in ('incomplete', 'missing') then d.status else 'failed' end as kind, count(*) as n
      from (select distinct on (r.server_id, r.day) r.day, r.status, r.ok_by_exceptions
            from (select r.server_id, r.id, r.backup_at, r.status, r.ok_by_exceptions, (r.backup_at at time zone ${tz})::date as day
                  from results r join servers s on s.id = r.server_id
                  where s.removed_at is null and r.backup_at >= ${fromTs} and r.backup_at < ${toTs}) r
            order by r.server_id, r.day, r.backup_at desc, r.id desc) d
      group by 1, 2`),
  );
  const byDay = new Map<string, DayCounts>();
  for (let d = from; d < to; d = nextDay(d)) byDay.set(d, { day: d, ok: 0, exc: 0, failed: 0, incomplete: 0, missing: 0 });
  for (const r of rows) {
    const day = typeof r.day === 'string' ? r.day.slice(0, 10) : r.day.toISOString().slice(0, 10);
    const c = byDay.get(day);
    if (c) c[r.kind as Exclude<keyof DayCounts, 'day'>] += Number(r.n);
  }
  return [...byDay.values()];
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
