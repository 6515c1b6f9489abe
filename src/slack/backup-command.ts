import { audit, auditEntries } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { listExceptions } from '../exceptions/workflow.ts';
import { listCustomers } from '../fleet/customers.ts';
import { listServers, type ServerWithCustomer } from '../fleet/servers.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import { describeChanges, reparseReports, countReports } from '../reports/reparse.ts';
import { fleetStatus, resultHistory, resultsByDay, serverStatus, statusOf, type ServerStatus } from '../reports/status.ts';
import { ackInfo, countByStatus, problemRows } from '../reports/summary.ts';
import { parseBackupCommand } from './command.ts';
import { resolveName } from './fuzzy.ts';
import { auditReply, exceptionsReply, reparseDone, reparseProgress } from './views/admin.ts';
import type { SlackMessage } from './views/blocks.ts';
import { customerReply, failuresReply, fleetOverview, helpReply, historyReply, notFoundReply, serverReply } from './views/replies.ts';

export interface CommandEnv {
  db: Db;
  now: Date;
  tz: string;
  /** Who asked (a Slack user id); recorded in the audit log for actions. */
  userId: string;
  isApprover: () => Promise<boolean>;
}

/** An immediate answer, and optionally more work that reports back as it goes. */
export interface CommandAnswer {
  reply: SlackMessage;
  followUp?: (send: (m: SlackMessage) => Promise<void>) => Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DETAIL_FILE_ERRORS = 40;
const REPARSE_DEFAULT_DAYS = 7;
const PROGRESS_EVERY = 25;

/** Answers `/backup <text>`: parse -> query -> view. */
export async function answerBackupCommand(env: CommandEnv, text: string): Promise<CommandAnswer> {
  const cmd = parseBackupCommand(text);
  switch (cmd.kind) {
    case 'help':
      return { reply: helpReply(cmd.error) };
    case 'failures':
      return { reply: failuresReply(await problems(env, await fleetStatus(env.db)), env.now) };
    case 'status':
      return { reply: cmd.target === undefined ? await overview(env) : await lookUp(env, cmd.target) };
    case 'history':
      return { reply: await history(env, cmd.server, cmd.days) };
    case 'exceptions':
      return { reply: await exceptionList(env, cmd.server) };
    case 'audit':
      return { reply: await auditList(env, cmd.server) };
    case 'reparse':
      return reparse(env, cmd.server, cmd.since ?? new Date(env.now.getTime() - REPARSE_DEFAULT_DAYS * DAY_MS));
  }
}

const problems = (env: CommandEnv, fleet: ServerStatus[]) => problemRows(env.db, fleet.filter((s) => statusOf(s) !== 'ok'));

async function overview(env: CommandEnv): Promise<SlackMessage> {
  const fleet = await fleetStatus(env.db);
  const worst = await problemRows(env.db, fleet.filter((s) => s.latest && s.latest.status !== 'ok'));
  return fleetOverview(countByStatus(fleet), worst, env.now);
}

async function findServerNamed(env: CommandEnv, query: string): Promise<{ server: ServerWithCustomer; guessed?: string } | SlackMessage> {
  const servers = await listServers(env.db);
  const found = resolveName(query, servers);
  if (!found.match) return notFoundReply(query, found.suggestions.map((s) => s.name));
  return found.guessed ? { server: found.match, guessed: query } : { server: found.match };
}

const isMessage = (x: object): x is SlackMessage => 'blocks' in x;

async function lookUp(env: CommandEnv, query: string): Promise<SlackMessage> {
  const [servers, customers] = await Promise.all([listServers(env.db), listCustomers(env.db)]);
  const candidates = [...servers.map((s) => ({ name: s.name, server: s })), ...customers.map((c) => ({ name: c.name, customerId: c.id }))];
  const found = resolveName(query, candidates);
  if (!found.match) return notFoundReply(query, found.suggestions.map((s) => s.name));
  const guessed = found.guessed ? query : undefined;
  if ('server' in found.match) return serverDetail(env, found.match.server, guessed);
  const customerId = found.match.customerId;
  const ids = servers.filter((s) => s.customerId === customerId).map((s) => s.id);
  const fleet = ids.length ? await fleetStatus(env.db, { serverIds: ids }) : [];
  return customerReply(
    found.match.name,
    fleet.map((s) => ({ server: s.server.name, status: statusOf(s), code: s.latest?.code ?? null, backupAt: s.latest?.backupAt ?? null })),
    env.tz,
    guessed,
  );
}

export async function serverDetail(env: Pick<CommandEnv, 'db' | 'now' | 'tz'>, server: ServerWithCustomer, guessed?: string): Promise<SlackMessage> {
  const d = await serverStatus(env.db, server, DETAIL_FILE_ERRORS);
  return serverReply(
    { ...d, hint: describeCode(d.latest?.code ?? -2).hint, ack: ackInfo(d.ack ?? undefined) },
    env.now,
    env.tz,
    guessed,
  );
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
