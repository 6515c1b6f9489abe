import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { incidents } from '../db/schema.ts';
import { codeLabel, describeCode } from '../parsers/index.ts';
import type { ServerStatus } from '../reports/status.ts';

export type Incident = typeof incidents.$inferSelect;

export interface WantedIncident {
  key: string;
  title: string;
  serverIds: number[];
}

/**
 * Whether a server's current failure points at the backup target or the network (the code
 * table says so: a refused or dropped connection, a daemon that timed out), which is what
 * TSR3 is for. Missing reports, file errors, usage errors, empty logs and unproven runs are
 * the customer side's to fix, and paused servers never escalate.
 */
export function pointsAtTarget(s: ServerStatus): boolean {
  if (s.state !== 'failed' || !s.latest) return false;
  return describeCode(s.latest.format, s.latest.code).escalate;
}

/**
 * A suspect run alone is the customer side's to look at (a script run with -n, a source that
 * moved), so it does not page TSR3 by itself. But several servers on one target going suspect
 * the same night is the Safespring pattern: a slow backup server making clients quit early and
 * cleanly. So suspect servers count towards a target's threshold, like target-side failures.
 */
export function countsTowardsTarget(s: ServerStatus): boolean {
  return pointsAtTarget(s) || (s.state === 'suspect' && s.latest !== null);
}

function targetTitle(host: string, list: ServerStatus[]): string {
  const suspect = list.filter((s) => s.state === 'suspect');
  const failed = list.filter((s) => s.state !== 'suspect');
  if (suspect.length === 0) return `Backup target ${host} looks down: ${list.length} servers could not reach it or lost the connection (${codesOf(list)})`;
  const parts = [`${suspect.length} servers finished cleanly but did far less than usual (suspect)`];
  if (failed.length) parts.push(`${failed.length} could not reach it or lost the connection (${codesOf(failed)})`);
  return `Backup target ${host} may be overloaded: ${parts.join(', and ')}`;
}

/** "code 10 ×2, code 35": which codes were grouped, most frequent first. */
function codesOf(list: ServerStatus[]): string {
  const byCode = new Map<string, number>();
  for (const s of list) {
    const label = codeLabel(s.latest!.format, s.latest!.code);
    byCode.set(label, (byCode.get(label) ?? 0) + 1);
  }
  return [...byCode.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([c, n]) => (n > 1 ? `${c} ×${n}` : c))
    .join(', ');
}

/**
 * What TSR3 should hear about (pure): a backup target where `threshold` or more servers
 * failed in a way that points at the target or the network, and any other single server
 * with such a failure.
 */
export function wantedIncidents(fleet: ServerStatus[], threshold: number): WantedIncident[] {
  const bad = fleet.filter(pointsAtTarget);
  const byTarget = new Map<string, ServerStatus[]>();
  for (const s of fleet.filter(countsTowardsTarget)) {
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
      title: targetTitle(list[0]!.server.targetHost!, list),
      serverIds: list.map((s) => s.server.id).sort((a, b) => a - b),
    });
    for (const s of list) covered.add(s.server.id);
  }
  for (const s of bad) {
    if (covered.has(s.server.id)) continue;
    wanted.push({
      key: `server:${s.server.id}`,
      title: `${s.server.name} (${s.server.customerName}): ${codeLabel(s.latest!.format, s.latest!.code)}, ${describeCode(s.latest!.format, s.latest!.code).meaning}`,
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
