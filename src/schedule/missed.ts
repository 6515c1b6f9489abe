import { desc, eq, sql } from 'drizzle-orm';
import { Cron } from 'croner';
import type { Db } from '../db/client.ts';
import { reports, results, servers } from '../db/schema.ts';
import { describeCode } from '../parsers/rsync-codes.ts';

const MINUTE_MS = 60_000;

/**
 * The expected backup slot whose grace period has most recently run out: the last time
 * the server's cron fired at or before (now - grace). Null when it never has.
 */
export function lastDueSlot(cron: Cron, graceMinutes: number, now: Date): Date | null {
  const reference = new Date(now.getTime() - graceMinutes * MINUTE_MS);
  return cron.previousRuns(1, reference)[0] ?? null;
}

const cronCache = new Map<string, Cron>();
function cronFor(expr: string, tz: string): Cron {
  const key = `${tz} ${expr}`;
  let c = cronCache.get(key);
  if (!c) {
    c = new Cron(expr, { timezone: tz, paused: true });
    cronCache.set(key, c);
  }
  return c;
}

/**
 * Records a synthetic "missing" result (code -2) for every server whose latest expected
 * backup has no report received since it was due. Safe to run as often as you like: the
 * partial unique index on (server, slot) keeps one row per missed slot.
 */
export async function recordMissedBackups(db: Db, now: Date): Promise<Array<{ serverId: number; slot: Date }>> {
  const lastReport = db
    .select({ receivedAt: reports.receivedAt })
    .from(reports)
    .where(eq(reports.serverId, servers.id))
    .orderBy(desc(reports.receivedAt))
    .limit(1)
    .as('last_report');
  const rows = await db
    .select({
      id: servers.id,
      cron: servers.scheduleCron,
      tz: servers.timezone,
      grace: servers.graceMinutes,
      createdAt: servers.createdAt,
      lastReportAt: lastReport.receivedAt,
    })
    .from(servers)
    .leftJoinLateral(lastReport, sql`true`);
  const missed: Array<{ serverId: number; slot: Date }> = [];
  for (const s of rows) {
    let slot: Date | null;
    try {
      slot = lastDueSlot(cronFor(s.cron, s.tz), s.grace, now);
    } catch {
      continue; // a schedule that no longer parses is reported by `server list`, not here
    }
    if (!slot || slot < s.createdAt) continue;
    if (s.lastReportAt && s.lastReportAt >= slot) continue;
    missed.push({ serverId: s.id, slot });
  }
  if (missed.length === 0) return [];
  const info = describeCode(-2);
  const inserted = await db
    .insert(results)
    .values(
      missed.map((m) => ({
        serverId: m.serverId,
        reportId: null,
        parserVersion: 'schedule/1',
        format: 'none',
        code: -2,
        status: 'missing',
        meaning: 'No report arrived',
        reason: `No report arrived for the backup due at ${m.slot.toISOString()} within its grace period. ${info.meaning}.`,
        completed: false,
        backupAt: m.slot,
      })),
    )
    .onConflictDoNothing()
    .returning({ serverId: results.serverId, slot: results.backupAt });
  return inserted;
}
