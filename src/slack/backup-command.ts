import { audit, auditEntries } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { listExceptions } from '../exceptions/workflow.ts';
import { listCustomers } from '../fleet/customers.ts';
import { AppError } from '../errors.ts';
import { ambiguous, listServers, pauseServer, resumeServer, serversNamed, type ServerWithCustomer } from '../fleet/servers.ts';
import { describeChanges, reparseReports, countReports } from '../reports/reparse.ts';
import { fleetStatus, resultHistory, resultsByDay, type ServerStatus } from '../reports/status.ts';
import { fleetWithDetail, PROBLEM_STATES, problemRows, serverStatus } from '../reports/summary.ts';
import { baselineView } from '../reports/baseline.ts';
import type { SuspectThresholds } from '../reports/suspicion.ts';
import { parseBackupCommand } from './command.ts';
import { webLinkReply } from './views/web.ts';
import { resolveName } from '../fleet/fuzzy.ts';
import { auditReply, exceptionsReply, reparseDone, reparseProgress } from './views/admin.ts';
import type { SlackMessage } from './views/blocks.ts';
import { ambiguousReply, pausedReply, customerReply, failuresReply, fleetOverview, helpReply, historyReply, notFoundReply, serverReply } from './views/replies.ts';

export interface CommandEnv {
  db: Db;
  now: Date;
  tz: string;
  /** Who asked (a Slack user id); recorded in the audit log for actions. */
  userId: string;
  isApprover: () => Promise<boolean>;
  /** Members of SLACK_ADMIN_GROUP or the approver group; may reparse further back. */
  isAdmin?: () => Promise<boolean>;
  /** A signed sign-in link to the web reports for this user (see src/web/auth.ts). */
  webLink?: () => Promise<{ url: string; expiresAt: Date }>;
  /** Suspicion thresholds from the configuration, for the baseline shown with a server (defaults when absent). */
  suspect?: SuspectThresholds;
}

/** An immediate answer, and optionally more work that reports back as it goes. */
export interface CommandAnswer {
  reply: SlackMessage;
  followUp?: (send: (m: SlackMessage) => Promise<void>) => Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DETAIL_FILE_ERRORS = 40;
const REPARSE_DEFAULT_DAYS = 7;
/** How far back anyone may reparse; admins may go further. */
export const REPARSE_MAX_DAYS = 31;
const PROGRESS_EVERY = 25;

/** Answers `/backup <text>`: parse -> query -> view. */
export async function answerBackupCommand(env: CommandEnv, text: string): Promise<CommandAnswer> {
  const cmd = parseBackupCommand(text);
  switch (cmd.kind) {
    case 'help':
      return { reply: helpReply(cmd.error) };
    case 'web':
      return { reply: webLinkReply(env.webLink ? await env.webLink() : null, env.tz) };
    case 'failures':
      return { reply: failuresReply(await problems(env, (await fleetWithDetail(env.db, env.now, PROBLEM_STATES)).detail), env.now) };
    case 'status':
      return { reply: cmd.target === undefined ? await overview(env) : await lookUp(env, cmd.target) };
    case 'history':
      return { reply: await history(env, cmd.server, cmd.days) };
    case 'exceptions':
      return { reply: await exceptionList(env, cmd.server) };
    case 'audit':
      return { reply: await auditList(env, cmd.server) };
    case 'pause':
    case 'resume':
      return { reply: await pauseOrResume(env, cmd) };
    case 'reparse': {
      const since = cmd.since ?? new Date(env.now.getTime() - REPARSE_DEFAULT_DAYS * DAY_MS);
      // A reparse far back re-reads every stored report of the server: slow for everyone.
      if (env.now.getTime() - since.getTime() > REPARSE_MAX_DAYS * DAY_MS && !(await (env.isAdmin ?? env.isApprover)())) {
        const earliest = new Date(env.now.getTime() - REPARSE_MAX_DAYS * DAY_MS).toISOString().slice(0, 10);
        return {
          reply: helpReply(`Reparsing more than ${REPARSE_MAX_DAYS} days back is for admins (SLACK_ADMIN_GROUP or SLACK_APPROVER_GROUP). Use \`since ${earliest}\` or later, or ask an admin.`),
        };
      }
      return reparse(env, cmd.server, since);
    }
  }
}

const problems = (env: CommandEnv, fleet: ServerStatus[]) => problemRows(env.db, fleet, env.now);

async function overview(env: CommandEnv): Promise<SlackMessage> {
  const { counts, detail } = await fleetWithDetail(env.db, env.now, PROBLEM_STATES);
  return fleetOverview(counts, await problems(env, detail), env.now);
}

/**
 * A server by exact name ("DC01", or "Acme/DC01" when two customers have a DC01); null when
 * no server has that exact name (the caller then tries loosely), a message when it is ambiguous.
 */
async function exactServer(env: CommandEnv, query: string): Promise<ServerWithCustomer | SlackMessage | null> {
  const rows = await serversNamed(env.db, query);
  if (rows.length > 1) return ambiguousReply(ambiguous(query, rows).message);
  return rows[0] ?? null;
}

export async function findServerNamed(env: CommandEnv, query: string): Promise<{ server: ServerWithCustomer; guessed?: string } | SlackMessage> {
  const exact = await exactServer(env, query);
  if (exact) return isMessage(exact) ? exact : { server: exact };
  const servers = await listServers(env.db);
  const found = resolveName(query, servers);
  if (!found.match) return notFoundReply(query, found.suggestions.map((s) => s.name));
  return found.guessed ? { server: found.match, guessed: query } : { server: found.match };
}

const isMessage = (x: object): x is SlackMessage => 'blocks' in x;

async function lookUp(env: CommandEnv, query: string): Promise<SlackMessage> {
  const exact = await exactServer(env, query);
  if (exact) return isMessage(exact) ? exact : serverDetail(env, exact);
  const [servers, customers] = await Promise.all([listServers(env.db), listCustomers(env.db)]);
  const candidates = [...servers.map((s) => ({ name: s.name, server: s })), ...customers.map((c) => ({ name: c.name, customerId: c.id }))];
  const found = resolveName(query, candidates);
  if (!found.match) return notFoundReply(query, found.suggestions.map((s) => s.name));
  const guessed = found.guessed ? query : undefined;
  if ('server' in found.match) return serverDetail(env, found.match.server, guessed);
  const customerId = found.match.customerId;
  const ids = servers.filter((s) => s.customerId === customerId).map((s) => s.id);
  const fleet = ids.length ? await fleetStatus(env.db, { serverIds: ids, now: env.now }) : [];
  return customerReply(
    found.match.name,
    fleet.map((s) => ({ server: s.server.name, status: s.state, code: s.latest?.code ?? null, format: s.latest?.format ?? null, backupAt: s.latest?.backupAt ?? null })),
    env.tz,
    guessed,
  );
}

export async function serverDetail(env: Pick<CommandEnv, 'db' | 'now' | 'tz' | 'suspect'>, server: ServerWithCustomer, guessed?: string): Promise<SlackMessage> {
  const d = await serverStatus(env.db, server, DETAIL_FILE_ERRORS, env.now);
  const baseline = d.latest?.reportId ? await baselineView(env.db, server, env.suspect) : null;
  return serverReply({ server, row: d.row, latest: d.latest, fileErrors: d.fileErrors, baseline }, env.now, env.tz, guessed);
}

async function history(env: CommandEnv, query: string, days: number): Promise<SlackMessage> {
  const found = await findServerNamed(env, query);
  if (isMessage(found)) return found;
  const { server } = found;
  const since = new Date(env.now.getTime() - days * DAY_MS);
  const rows = await resultHistory(env.db, server.id, since);
  return historyReply(server, resultsByDay(rows, env.now, days, env.tz), found.guessed);
}

async function names(env: CommandEnv) {
  const [servers, customers] = await Promise.all([listServers(env.db), listCustomers(env.db)]);
  return { servers, serverNames: new Map(servers.map((s) => [s.id, s.name])), customerNames: new Map(customers.map((c) => [c.id, c.name])) };
}

async function exceptionList(env: CommandEnv, query?: string): Promise<SlackMessage> {
  const { serverNames, customerNames } = await names(env);
  let server: ServerWithCustomer | undefined;
  if (query) {
    const found = await findServerNamed(env, query);
    if (isMessage(found)) return found;
    server = found.server;
  }
  const rows = await listExceptions(env.db, server, env.now);
  return exceptionsReply(rows, serverNames, customerNames, env.tz, { ...(server ? { forServer: server.name } : {}), canRemove: await env.isApprover() });
}

async function auditList(env: CommandEnv, query?: string): Promise<SlackMessage> {
  const { serverNames } = await names(env);
  let server: ServerWithCustomer | undefined;
  if (query) {
    const found = await findServerNamed(env, query);
    if (isMessage(found)) return found;
    server = found.server;
  }
  return auditReply(await auditEntries(env.db, server?.id), serverNames, env.tz, server?.name);
}

async function reparse(env: CommandEnv, query: string, since: Date): Promise<CommandAnswer> {
  const found = await findServerNamed(env, query);
  if (isMessage(found)) return { reply: found };
  const { server } = found;
  const scope = { serverIds: [server.id], since };
  const total = await countReports(env.db, scope);
  return {
    reply: reparseProgress(server.name, 0, total, 0),
    followUp: async (send) => {
      const result = await reparseReports(env.db, scope, async (done, changed) => {
        if (done % PROGRESS_EVERY === 0 && done < total) await send(reparseProgress(server.name, done, total, changed));
      });
      const summary = describeChanges(result);
      await audit(env.db, env.userId, 'reparse', server.id, { since: since.toISOString(), reports: result.total, changed: result.changed.length });
      await send(reparseDone(server.name, summary));
    },
  };
}

/** Admins pause a server (listed as paused, never missing, never escalated) or resume it. */
async function pauseOrResume(env: CommandEnv, cmd: { kind: 'pause'; server: string; until: Date | null; reason: string } | { kind: 'resume'; server: string }): Promise<SlackMessage> {
  if (!(await (env.isAdmin ?? env.isApprover)())) return ambiguousReply('Only backupbot admins (SLACK_ADMIN_GROUP, or the approver group) can pause or resume a server.');
  const found = await exactServer(env, cmd.server);
  if (!found) return notFoundReply(cmd.server, []);
  if (isMessage(found)) return found;
  const name = `${found.customerName}/${found.name}`;
  try {
    if (cmd.kind === 'pause') {
      const s = await pauseServer(env.db, name, { reason: cmd.reason, until: cmd.until, actor: env.userId, now: env.now });
      await audit(env.db, env.userId, 'server.pause', s.id, { reason: s.pauseReason, until: s.pausedUntil });
      return pausedReply(s.name, s.pausedUntil, s.pauseReason ?? '');
    }
    const s = await resumeServer(env.db, name, env.now);
    await audit(env.db, env.userId, 'server.resume', s.id);
    return pausedReply(s.name, null, null);
  } catch (err) {
    if (err instanceof AppError) return ambiguousReply(err.message);
    throw err;
  }
}
