import { results } from '../db/schema.ts';
import type { Db } from '../db/client.ts';
import { dueSlot } from '../fleet/state.ts';
import { NO_REPORT_FORMAT } from '../parsers/index.ts';
import { fleetWithDetail } from '../reports/summary.ts';

/**
 * Records a synthetic "missing" result for every server whose state is missing because no
 * result covers its latest due slot (the one definition in fleet/state.ts: paused servers,
 * removed servers and servers still waiting for their first slot are never missing). Safe to
 * run as often as you like: the partial unique index on (server, slot) keeps one row per slot.
 */
export async function recordMissedBackups(db: Db, now: Date): Promise<Array<{ serverId: number; slot: Date }>> {
  // Runs every few minutes: only the missing servers are read in full.
  const fleet = (await fleetWithDetail(db, now, ['missing'])).detail;
  const missed: Array<{ serverId: number; slot: Date }> = [];
  for (const s of fleet) {
    if (s.state !== 'missing') continue;
    const due = dueSlot(s.server, now);
    // Already recorded for this slot.
    if (!due || (s.latest?.status === 'missing' && s.latest.backupAt >= due.from)) continue;
    missed.push({ serverId: s.server.id, slot: due.slot });
  }
  if (missed.length === 0) return [];
  const inserted = await db
    .insert(results)
    .values(
      missed.map((m) => ({
        serverId: m.serverId,
        reportId: null,
        parserVersion: 'schedule/1',
        format: NO_REPORT_FORMAT,
        code: -2,
        status: 'missing',
        meaning: 'No report arrived',
        reason: `No report arrived for the backup due at ${m.slot.toISOString()} within its grace period.`,
        completed: false,
        backupAt: m.slot,
      })),
    )
    .onConflictDoNothing()
    .returning({ serverId: results.serverId, slot: results.backupAt });
  return inserted;
}
