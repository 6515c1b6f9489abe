import { activeAcks, type Ack } from '../acks/acknowledge.ts';
import type { Db } from '../db/client.ts';
import { dueSlot, SERVER_STATES, WAITING_HINT, type ServerState } from '../fleet/state.ts';
import { adviceFor, NO_REPORT_FORMAT } from '../parsers/index.ts';
import { INCOMPLETE } from '../parsers/types.ts';
import type { ServerWithCustomer } from '../fleet/servers.ts';
import { failingPaths } from './problems.ts';
import { fileErrorsFor } from './results.ts';
import type { SuspicionReason } from './suspicion-rules.ts';
import { fleetStates, fleetStatus, type ServerStateOnly, type ServerStatus } from './status.ts';

/** One server as the lists show it: its state, what it means, and what to do. */
export interface ServerRow {
  serverId: number;
  server: string;
  customer: string;
  targetHost: string | null;
  status: ServerState;
  /** The latest result's code; null when there is no result to show (missing, waiting, paused). */
  code: number | null;
  format: string | null;
  meaning: string;
  hint: string;
  reason: string | null;
  backupAt: Date | null;
  lastSuccessAt: Date | null;
  failingPaths: string[];
  fileErrorCount: number;
  okByExceptions: boolean;
  /** Why the shown run is `suspect` (each reason with its numbers); empty otherwise. */
  suspicion?: SuspicionReason[];
  resultId: number | null;
  /** Whether a stored report backs the result (a "missing" result has none to reparse). */
  hasReport: boolean;
  /** Who took ownership of this failure, while it lasts. */
  ack: AckInfo | null;
  pause: { reason: string; until: Date | null; by: string | null } | null;
}

/** A server that needs someone to act. */
export type ProblemRow = ServerRow;

export interface AckInfo {
  userId: string;
  note: string | null;
  at: Date;
}

export type StateCounts = Record<ServerState, number> & { okByExceptions: number; acknowledged: number };

export interface NightlySummary {
  at: Date;
  servers: number;
  counts: StateCounts;
  /** Servers that are failed, suspect, incomplete or missing, by customer. */
  problems: ProblemRow[];
  /** Servers waiting for their first report, or paused: listed, never counted as ok or missing. */
  quiet: ServerRow[];
}

/** The states someone has to act on (`suspect` is never ok: it is listed with the failures). */
export const PROBLEM_STATES: readonly ServerState[] = ['failed', 'suspect', 'incomplete', 'missing'];
export const isProblem = (s: ServerStatus) => PROBLEM_STATES.includes(s.state);

/** Turns a server's state into the row every list shows. Pure. */
export function rowOf(s: ServerStatus, paths: Map<number, string[]>, acks: Map<number, Ack>, now: Date): ServerRow {
  const r = s.latest;
  const state = s.state;
  // When the state is "missing" but the latest result is an older real one, that result is
  // not what the row is about: the missing slot is.
  const shown = state === 'missing' || state === 'waiting' || state === 'paused' ? null : r;
  const due = state === 'missing' && r?.status !== 'missing' ? dueSlot(s.server, now)?.slot ?? null : null;
  const pausedServer = s.server.pausedAt ? { reason: s.server.pauseReason ?? '', until: s.server.pausedUntil, by: s.server.pausedBy } : null;
  return {
    serverId: s.server.id,
    server: s.server.name,
    customer: s.server.customerName,
    targetHost: s.server.targetHost,
    status: state,
    code: shown?.code ?? null,
    format: shown?.format ?? null,
    meaning: meaningOf(state, shown, due ?? (r?.status === 'missing' ? r.backupAt : null)),
    hint: hintOf(state, shown, pausedServer),
    reason: shown?.reason ?? null,
    backupAt: shown?.backupAt ?? (state === 'missing' ? (due ?? r?.backupAt ?? null) : null),
    lastSuccessAt: s.lastSuccessAt,
    failingPaths: shown ? (paths.get(shown.id) ?? []) : [],
    fileErrorCount: shown ? shown.fileErrorCount - shown.exceptedCount : 0,
    okByExceptions: shown?.okByExceptions ?? false,
    suspicion: state === 'suspect' ? (shown?.suspicion ?? []) : [],
    resultId: r?.id ?? null,
    hasReport: shown?.reportId != null,
    ack: state === 'paused' || state === 'ok' ? null : ackInfo(acks.get(s.server.id)),
    pause: state === 'paused' ? pausedServer : null,
  };
}

function meaningOf(state: ServerState, r: ServerStatus['latest'], dueAt: Date | null): string {
  switch (state) {
    case 'missing':
      return dueAt ? `No report arrived for the backup due ${dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'No report arrived';
    case 'waiting':
      return 'Waiting for its first report';
    case 'paused':
      return 'Paused';
    default:
      return r?.meaning ?? 'No report';
  }
}

function hintOf(state: ServerState, r: ServerStatus['latest'], pause: ServerRow['pause']): string {
  if (state === 'waiting') return WAITING_HINT;
  if (state === 'paused') return pause ? `Paused${pause.by ? ` by ${pause.by}` : ''}: ${pause.reason}.` : 'Paused.';
  // Nothing arrived for the slot: the advice for a missing report, from the code table's entry for it.
  return adviceFor(state === 'missing' || !r ? { format: NO_REPORT_FORMAT, code: INCOMPLETE } : r);
}

/** Rows for the given servers: their first failing paths and acknowledgements in one query each; by customer, then server. */
export async function serverRows(db: Db, list: ServerStatus[], now: Date): Promise<ServerRow[]> {
  const [paths, acks] = await Promise.all([
    failingPaths(db, list.flatMap((s) => (s.latest ? [s.latest.id] : []))),
    activeAcks(db, list.map((s) => s.server.id)),
  ]);
  return list
    .map((s) => rowOf(s, paths, acks, now))
    .sort((a, b) => a.customer.localeCompare(b.customer) || a.server.localeCompare(b.server));
}

/** Rows for the servers that need someone to act (failed, suspect, incomplete, missing). */
export async function problemRows(db: Db, fleet: ServerStatus[], now: Date): Promise<ProblemRow[]> {
  return serverRows(db, fleet.filter(isProblem), now);
}

export function emptyCounts(): StateCounts {
  return { ...(Object.fromEntries(SERVER_STATES.map((s) => [s, 0])) as Record<ServerState, number>), okByExceptions: 0, acknowledged: 0 };
}

/** How many servers are in each state. */
export function countByStatus(fleet: ReadonlyArray<ServerStatus | ServerStateOnly>): StateCounts {
  const counts = emptyCounts();
  for (const s of fleet) {
    counts[s.state]++;
    if (s.state === 'ok' && ('latest' in s ? s.latest?.okByExceptions : s.okByExceptions)) counts.okByExceptions++;
  }
  return counts;
}

/**
 * Counts for the whole fleet, and the full rows of the servers listed (those in the given
 * states, or those the predicate picks) only: what the nightly, /backup, the App Home and the
 * digest show (the ok servers are only counted).
 */
export async function fleetWithDetail(
  db: Db,
  now: Date,
  listed: readonly ServerState[] | ((s: ServerStateOnly) => boolean),
): Promise<{ servers: number; counts: StateCounts; detail: ServerStatus[] }> {
  const picks = typeof listed === 'function' ? listed : (s: ServerStateOnly) => listed.includes(s.state);
  // One snapshot for both reads, so the counts and the listed rows agree.
  return db.transaction(
    async (tx) => {
      const states = await fleetStates(tx, { now });
      const ids = states.filter(picks).map((s) => s.serverId);
      const detail = ids.length ? await fleetStatus(tx, { serverIds: ids, now }) : [];
      return { servers: states.length, counts: countByStatus(states), detail };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

export function ackInfo(a: Ack | undefined): AckInfo | null {
  return a ? { userId: a.userId, note: a.note, at: a.createdAt } : null;
}

/** The seed's Nightly Backup Report: every server's state at `now`, judged by its own schedule. */
export async function buildNightlySummary(db: Db, now: Date): Promise<NightlySummary> {
  const { servers, counts, detail } = await fleetWithDetail(db, now, [...PROBLEM_STATES, 'waiting', 'paused']);
  const problems = await problemRows(db, detail, now);
  counts.acknowledged = problems.filter((p) => p.ack).length;
  const quiet = await serverRows(db, detail.filter((s) => s.state === 'waiting' || s.state === 'paused'), now);
  return { at: now, servers, counts, problems, quiet };
}

/**
 * One server in detail: its row (state, advice, acknowledgement), latest result, and that
 * result's file errors (real failures first: they are what the reader has to act on).
 */
export async function serverStatus(db: Db, server: ServerWithCustomer, fileErrorLimit = 1000, now = new Date()) {
  const fleet = await fleetStatus(db, { serverIds: [server.id], includeRemoved: true, now });
  const [row] = await serverRows(db, fleet, now);
  const latest = fleet[0]?.latest ?? null;
  const errors = latest ? await fileErrorsFor(db, latest.id, fileErrorLimit) : [];
  return {
    server,
    row: row!,
    latest,
    state: row!.status,
    lastSuccessAt: fleet[0]?.lastSuccessAt ?? null,
    fileErrors: [...errors].sort((a, b) => Number(a.excepted) - Number(b.excepted)),
  };
}
