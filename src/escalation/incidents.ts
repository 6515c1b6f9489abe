import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { incidents } from '../db/schema.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import type { ServerStatus } from '../reports/status.ts';

export type Incident = typeof incidents.$inferSelect;

export interface WantedIncident {
  key: string;
  title: string;
  serverIds: number[];
}

/**
 * What TSR3 should hear about tonight (pure): a backup target where `threshold` or more
 * servers failed or went missing (the target itself is suspect), and any other server whose
 * failure is one TSR3 must resolve (socket, IPC, daemon timeouts).
 */
export function wantedIncidents(fleet: ServerStatus[], threshold: number): WantedIncident[] {
  const bad = fleet.filter((s) => s.latest && s.latest.status !== 'ok');
  const byTarget = new Map<string, ServerStatus[]>();
  for (const s of bad) {
    if (!s.server.targetHost) continue;
    const key = s.server.targetHost.toLowerCase();
    byTarget.set(key, [...(byTarget.get(key) ?? []), s]);
  }
  const wanted: WantedIncident[] = [];
  const covered = new Set<number>();
  for (const [host, list] of byTarget) {
    if (list.length < threshold) continue;
    wanted.push({
      key: `target:${host}`,
      title: `Backup target ${list[0]!.server.targetHost} looks down: ${list.length} servers failed or went missing`,
      serverIds: list.map((s) => s.server.id).sort((a, b) => a - b),
    });
    for (const s of list) covered.add(s.server.id);
  }
  for (const s of bad) {
    if (covered.has(s.server.id) || !describeCode(s.latest!.code).tsr3) continue;
    wanted.push({
      key: `server:${s.server.id}`,
      title: `${s.server.name} (${s.server.customerName}): code ${s.latest!.code}, ${describeCode(s.latest!.code).meaning}`,
      serverIds: [s.server.id],
    });
  }
  return wanted;
}

/**
 * Opens incidents that are wanted and not open yet, and closes open ones that are no longer
 * wanted. The partial unique index on open keys makes "open" a claim: of two replicas doing
 * this at once, one inserts and pings, the other inserts nothing.
 */
export async function syncIncidents(db: Db, wanted: WantedIncident[], now: Date): Promise<{ opened: Incident[]; closed: Incident[] }> {
  const open = await db.select().from(incidents).where(isNull(incidents.closedAt));
  const wantedKeys = new Set(wanted.map((w) => w.key));
  const openKeys = new Set(open.map((o) => o.key));
  const opened: Incident[] = [];
  for (const w of wanted) {
    if (openKeys.has(w.key)) continue;
    const [row] = await db
      .insert(incidents)
      .values({ key: w.key, title: w.title, serverIds: w.serverIds, openedAt: now })
      .onConflictDoNothing()
      .returning();
    if (row) opened.push(row);
  }
  const closed: Incident[] = [];
  for (const o of open) {
    if (wantedKeys.has(o.key)) continue;
    const [row] = await db
      .update(incidents)
      .set({ closedAt: now })
      .where(and(eq(incidents.id, o.id), isNull(incidents.closedAt)))
      .returning();
    if (row) closed.push(row);
  }
  return { opened, closed };
}

export async function recordIncidentMessage(db: Db, id: number, channel: string, ts: string): Promise<void> {
  await db.update(incidents).set({ channel, ts }).where(eq(incidents.id, id));
}
