import { and, asc, gte, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { results } from '../db/schema.ts';
import { activeAcks } from '../acks/acknowledge.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import { ackInfo, type AckInfo } from './summary.ts';
import { dayIn } from './days.ts';
import { fleetStatus } from './status.ts';

export interface DigestRow {
  serverId: number;
  server: string;
  customer: string;
  targetHost: string | null;
  /** Null when the server has never had a successful backup. */
  lastSuccessAt: Date | null;
  daysSinceSuccess: number | null;
  /** The day's last code, oldest day first, over the failing streak (at most 14 days). */
  streak: Array<{ day: string; code: number | null }>;
  code: number;
  meaning: string;
  hint: string;
  resultId: number | null;
  hasReport: boolean;
  fileErrorCount: number;
  /** Acknowledged failures are listed, not alerted. */
  ack: AckInfo | null;
}

export interface FailureDigest {
  at: Date;
  minDays: number;
  rows: DigestRow[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const STREAK_DAYS = 14;


/**
 * Servers with no successful backup for `minDays` or more, longest-failing first. A server
 * that never succeeded counts from when it was added.
 */
export async function buildFailureDigest(db: Db, now: Date, minDays: number, tz: string): Promise<FailureDigest> {
  const cutoff = now.getTime() - minDays * DAY_MS;
  const fleet = await fleetStatus(db);
  const okSince = (s: (typeof fleet)[number]) => (s.lastSuccessAt ?? s.server.createdAt).getTime();
  const failing = fleet
    .filter((s) => okSince(s) <= cutoff && s.latest?.status !== 'ok')
    // Longest-failing first.
    .sort((a, b) => okSince(a) - okSince(b) || a.server.customerName.localeCompare(b.server.customerName) || a.server.name.localeCompare(b.server.name));
  const ids = failing.map((s) => s.server.id);
  const since = new Date(now.getTime() - STREAK_DAYS * DAY_MS);
  const history = ids.length
    ? await db
        .select({ serverId: results.serverId, code: results.code, backupAt: results.backupAt })
        .from(results)
        .where(and(inArray(results.serverId, ids), gte(results.backupAt, since)))
        .orderBy(asc(results.backupAt), asc(results.id))
    : [];
  const acks = await activeAcks(db, ids);
  const byServer = new Map<number, Map<string, number>>();
  for (const h of history) {
    const days = byServer.get(h.serverId) ?? new Map<string, number>();
    days.set(dayIn(tz, h.backupAt), h.code); // later results of the same day win
    byServer.set(h.serverId, days);
  }
  const rows = failing.map((s): DigestRow => {
    const from = Math.max(since.getTime(), (s.lastSuccessAt?.getTime() ?? s.server.createdAt.getTime()) + 1);
    const streak: DigestRow['streak'] = [];
    const seen = new Set<string>();
    for (let t = from; t <= now.getTime(); t += DAY_MS / 2) {
      const day = dayIn(tz, new Date(t));
      if (seen.has(day)) continue;
      seen.add(day);
      streak.push({ day, code: byServer.get(s.server.id)?.get(day) ?? null });
    }
    const code = s.latest?.code ?? -2;
    return {
      serverId: s.server.id,
      server: s.server.name,
      customer: s.server.customerName,
      targetHost: s.server.targetHost,
      lastSuccessAt: s.lastSuccessAt,
      daysSinceSuccess: s.lastSuccessAt ? Math.floor((now.getTime() - s.lastSuccessAt.getTime()) / DAY_MS) : null,
      streak: streak.slice(-STREAK_DAYS),
      code,
      meaning: s.latest?.meaning ?? 'No report received yet',
      hint: describeCode(code).hint,
      resultId: s.latest?.id ?? null,
      hasReport: s.latest?.reportId != null,
      fileErrorCount: s.latest?.fileErrorCount ?? 0,
      ack: ackInfo(acks.get(s.server.id)),
    };
  });
  return { at: now, minDays, rows };
}
