import { desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { results } from '../db/schema.ts';
import { listServers, type ServerWithCustomer } from '../fleet/servers.ts';
import type { Status } from './classify.ts';
import { fileErrorsFor, type ResultRow } from './results.ts';

export interface ServerStatus {
  server: ServerWithCustomer;
  /** The newest result by backup time, or null when nothing has arrived yet. */
  latest: ResultRow | null;
}

/** Latest result of each server in the given set (all when omitted). */
export async function latestResults(db: Db, serverIds?: number[]): Promise<Map<number, ResultRow>> {
  // DISTINCT ON walks results_server_latest_idx: one index probe per server.
  const rows = await db
    .selectDistinctOn([results.serverId])
    .from(results)
    .where(serverIds ? inArray(results.serverId, serverIds) : undefined)
    .orderBy(results.serverId, desc(results.backupAt), desc(results.id));
  return new Map(rows.map((r) => [r.serverId, r]));
}

const severity: Record<Status | 'none', number> = { failed: 0, incomplete: 1, missing: 2, none: 3, ok: 4 };

/** Every server with its latest result, worst first, then by customer and name. */
export async function fleetStatus(db: Db): Promise<ServerStatus[]> {
  const [all, latest] = await Promise.all([listServers(db), latestResults(db)]);
  return all
    .map((server) => ({ server, latest: latest.get(server.id) ?? null }))
    .sort(
      (a, b) =>
        severity[(a.latest?.status as Status) ?? 'none'] - severity[(b.latest?.status as Status) ?? 'none'] ||
        a.server.customerName.localeCompare(b.server.customerName) ||
        a.server.name.localeCompare(b.server.name),
    );
}

export async function serverStatus(db: Db, server: ServerWithCustomer) {
  const latest = (await latestResults(db, [server.id])).get(server.id) ?? null;
  const errors = latest ? await fileErrorsFor(db, latest.id) : [];
  return { server, latest, fileErrors: errors };
}

export async function resultHistory(db: Db, serverId: number, limit = 30): Promise<ResultRow[]> {
  return db
    .select()
    .from(results)
    .where(eq(results.serverId, serverId))
    .orderBy(desc(results.backupAt), desc(results.id))
    .limit(limit);
}
