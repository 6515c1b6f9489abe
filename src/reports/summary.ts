import { activeAcks, type Ack } from '../acks/acknowledge.ts';
import type { Db } from '../db/client.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import type { Status } from './classify.ts';
import { failingPaths } from './problems.ts';
import { fleetStatus, statusOf, type ServerStatus } from './status.ts';

export interface ProblemRow {
  serverId: number;
  server: string;
  customer: string;
  targetHost: string | null;
  status: Exclude<Status, 'ok'>;
  code: number;
  meaning: string;
  hint: string;
  reason: string | null;
  backupAt: Date | null;
  lastSuccessAt: Date | null;
  failingPaths: string[];
  fileErrorCount: number;
  resultId: number | null;
  /** Whether a stored report backs the result (a "missing" result has none to reparse). */
  hasReport: boolean;
  /** Who took ownership of this failure, while it lasts. */
  ack: AckInfo | null;
}

export interface AckInfo {
  userId: string;
  note: string | null;
  at: Date;
}

export interface NightlySummary {
  at: Date;
  since: Date;
  servers: number;
  counts: Record<Status, number> & { okByExceptions: number; acknowledged: number };
  /** Servers that are not ok, worst first, grouped by customer. */
  problems: ProblemRow[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Turns a server's latest result into a problem row, or null when it is ok. */
export function problemOf(s: ServerStatus, paths: Map<number, string[]>, acks: Map<number, Ack> = new Map()): ProblemRow | null {
  const r = s.latest;
  if (r?.status === 'ok') return null;
  const code = r?.code ?? -2;
  const status = (r?.status as ProblemRow['status'] | undefined) ?? 'missing';
  return {
    serverId: s.server.id,
    server: s.server.name,
    customer: s.server.customerName,
    targetHost: s.server.targetHost,
    status,
    code,
    meaning: r?.meaning ?? 'No report in the last 24 hours',
    hint: describeCode(code).hint,
    reason: r?.reason ?? null,
    backupAt: r?.backupAt ?? null,
    lastSuccessAt: s.lastSuccessAt,
    failingPaths: r ? (paths.get(r.id) ?? []) : [],
    fileErrorCount: r?.fileErrorCount ?? 0,
    resultId: r?.id ?? null,
    hasReport: r?.reportId != null,
    ack: ackInfo(acks.get(s.server.id)),
  };
}

/**
 * Problem rows for servers that are not ok: their first failing paths and acknowledgements
 * are fetched in one query each, and the rows come out by customer, then server.
 */
export async function problemRows(db: Db, bad: ServerStatus[]): Promise<ProblemRow[]> {
  const [paths, acks] = await Promise.all([
    failingPaths(db, bad.flatMap((s) => (s.latest ? [s.latest.id] : []))),
    activeAcks(db, bad.map((s) => s.server.id)),
  ]);
  return bad
    .map((s) => problemOf(s, paths, acks)!)
    .sort((a, b) => a.customer.localeCompare(b.customer) || a.server.localeCompare(b.server));
}

/** How many servers are in each state ("none": no report yet). */
export function countByStatus(fleet: ServerStatus[]): Record<Status | 'none', number> {
  const counts: Record<Status | 'none', number> = { failed: 0, incomplete: 0, missing: 0, none: 0, ok: 0 };
  for (const s of fleet) counts[statusOf(s)]++;
  return counts;
}

export function ackInfo(a: Ack | undefined): AckInfo | null {
  return a ? { userId: a.userId, note: a.note, at: a.createdAt } : null;
}

/** The seed's Nightly Backup Report: every server's status over the last 24 hours. */
export async function buildNightlySummary(db: Db, now: Date): Promise<NightlySummary> {
  const since = new Date(now.getTime() - DAY_MS);
  const fleet = await fleetStatus(db, { since });
  const counts = { ok: 0, failed: 0, incomplete: 0, missing: 0, okByExceptions: 0, acknowledged: 0 };
  for (const s of fleet) {
    const status = (s.latest?.status as Status | undefined) ?? 'missing';
    counts[status]++;
    if (s.latest?.okByExceptions && status === 'ok') counts.okByExceptions++;
  }
  const problems = await problemRows(db, fleet.filter((s) => s.latest?.status !== 'ok'));
  counts.acknowledged = problems.filter((p) => p.ack).length;
  return { at: now, since, servers: fleet.length, counts, problems };
}
