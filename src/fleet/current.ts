import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';

/** One server whose `server_current` row differs from what its history says. */
export interface CurrentMismatch {
  serverId: number;
  /** The columns that differ, each with the stored and the expected value. */
  fields: Record<string, { stored: string | null; expected: string | null }>;
}

const FIELDS = ['latest_result_id', 'latest_backup_at', 'last_success_at', 'failing_since', 'failing_results', 'ack_id', 'ack_status', 'ack_code'] as const;

/**
 * Recomputes every server's current state from the full history, set-wise and independently
 * of the triggers that maintain it, and lists each difference. A full scan of results: meant
 * for `backupbot doctor` and tests, not for a request path.
 */
export async function checkServerCurrent(db: Db): Promise<CurrentMismatch[]> {
  const rows = rowsOf<Record<string, string | number | null>>(
    await db.execute(sql`
      with latest as (
        select distinct on (server_id) server_id, id, backup_at from results order by server_id, backup_at desc, id desc
      ), last_ok as (
        select distinct on (server_id) server_id, id, backup_at from results where status = 'ok' order by server_id, backup_at desc, id desc
      ), failing as (
        select r.server_id, min(r.backup_at) as since, count(*)::int as n
        from results r left join last_ok o on o.server_id = r.server_id
        where o.id is null or r.backup_at > o.backup_at or (r.backup_at = o.backup_at and r.id > o.id)
        group by r.server_id
      ), ack as (
        select distinct on (a.server_id) a.server_id, a.id, a.status, a.code
        from acknowledgements a
        where not exists (
          select 1 from results r where r.server_id = a.server_id and r.id > a.result_id and (r.status <> a.status or r.code <> a.code)
        )
        order by a.server_id, a.created_at desc, a.id desc
      ), expected as (
        select s.id as server_id, l.id as latest_result_id, l.backup_at as latest_backup_at, o.backup_at as last_success_at,
               f.since as failing_since, coalesce(f.n, 0) as failing_results, k.id as ack_id, k.status as ack_status, k.code as ack_code,
               l.id is not null as has_results
        from servers s
        left join latest l on l.server_id = s.id
        left join last_ok o on o.server_id = s.id
        left join failing f on f.server_id = s.id
        left join ack k on k.server_id = s.id
      )
      select e.server_id,
             (c.server_id is not null)::text as stored_row, e.has_results::text as expected_row,
             ${sql.raw(FIELDS.map((f) => `c.${f}::text as stored_${f}, e.${f}::text as expected_${f}`).join(', '))}
      from expected e left join server_current c on c.server_id = e.server_id
      where (c.server_id is not null) <> e.has_results
         or (e.has_results and (${sql.raw(FIELDS.map((f) => `c.${f} is distinct from e.${f}`).join(' or '))}))
      order by e.server_id
    `),
  );
  return rows.map((r) => {
    const fields: CurrentMismatch['fields'] = {};
    if (r.stored_row !== r.expected_row) fields.row = { stored: r.stored_row === 'true' ? 'present' : 'absent', expected: r.expected_row === 'true' ? 'present' : 'absent' };
    for (const f of FIELDS) {
      const stored = r[`stored_${f}`] === null ? null : String(r[`stored_${f}`]);
      const expected = r[`expected_${f}`] === null ? null : String(r[`expected_${f}`]);
      if (r.expected_row === 'true' && stored !== expected) fields[f] = { stored, expected };
    }
    return { serverId: Number(r.server_id), fields };
  });
}

/** Recomputes the current state of the given servers (all when omitted) from their history. */
export async function rebuildServerCurrent(db: Db, serverIds?: number[]): Promise<void> {
  if (serverIds?.length === 0) return;
  await db.execute(
    serverIds
      ? sql`select server_current_refresh(id) from servers where id in ${serverIds}`
      : sql`select server_current_refresh(id) from servers`,
  );
}
