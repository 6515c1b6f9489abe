import type { Db } from '../db/client.ts';
import { listCustomers } from '../fleet/customers.ts';
import { listServers, type ServerWithCustomer } from '../fleet/servers.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import { dayIn } from '../reports/digest.ts';
import { failingPaths } from '../reports/problems.ts';
import { fileErrorsFor } from '../reports/results.ts';
import { fleetStatus, resultHistory, statusOf, type ServerStatus } from '../reports/status.ts';
import { problemOf } from '../reports/summary.ts';
import type { Status } from '../reports/classify.ts';
import { parseBackupCommand } from './command.ts';
import { resolveName } from './fuzzy.ts';
import type { SlackMessage } from './views/blocks.ts';
import { customerReply, failuresReply, fleetOverview, helpReply, historyReply, notFoundReply, serverReply } from './views/replies.ts';

export interface CommandEnv {
  db: Db;
  now: Date;
  tz: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DETAIL_FILE_ERRORS = 40;

/** Answers `/backup <text>`: parse -> query -> view. */
export async function answerBackupCommand(env: CommandEnv, text: string): Promise<SlackMessage> {
  const cmd = parseBackupCommand(text);
  switch (cmd.kind) {
    case 'help':
      return helpReply(cmd.error);
    case 'failures':
      return failuresReply(await problems(env, await fleetStatus(env.db)), env.now);
    case 'status':
      return cmd.target === undefined ? overview(env) : lookUp(env, cmd.target);
    case 'history':
      return history(env, cmd.server, cmd.days);
  }
}

async function problems(env: CommandEnv, fleet: ServerStatus[]) {
  const bad = fleet.filter((s) => statusOf(s) !== 'ok');
  const paths = await failingPaths(env.db, bad.flatMap((s) => (s.latest ? [s.latest.id] : [])));
  return bad
    .map((s) => problemOf(s, paths)!)
    .sort((a, b) => a.customer.localeCompare(b.customer) || a.server.localeCompare(b.server));
}

async function overview(env: CommandEnv): Promise<SlackMessage> {
  const fleet = await fleetStatus(env.db);
  const counts: Record<Status | 'none', number> = { failed: 0, incomplete: 0, missing: 0, none: 0, ok: 0 };
  for (const s of fleet) counts[statusOf(s)]++;
  const worst = await problems(env, fleet.filter((s) => s.latest && s.latest.status !== 'ok'));
  return fleetOverview(counts, worst, env.now);
}

async function lookUp(env: CommandEnv, query: string): Promise<SlackMessage> {
  const [servers, customers] = await Promise.all([listServers(env.db), listCustomers(env.db)]);
  const candidates = [
    ...servers.map((s) => ({ name: s.name, server: s })),
    ...customers.map((c) => ({ name: c.name, customerId: c.id })),
  ];
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

async function serverDetail(env: CommandEnv, server: ServerWithCustomer, guessed?: string): Promise<SlackMessage> {
  const [row] = await fleetStatus(env.db, { serverIds: [server.id] });
  const latest = row?.latest ?? null;
  const errors = latest ? await fileErrorsFor(env.db, latest.id, DETAIL_FILE_ERRORS) : [];
  return serverReply(
    {
      server,
      latest,
      lastSuccessAt: row?.lastSuccessAt ?? null,
      hint: describeCode(latest?.code ?? -2).hint,
      // Real failures first: they are what the reader has to act on.
      fileErrors: [...errors].sort((a, b) => Number(a.excepted) - Number(b.excepted)),
    },
    env.now,
    env.tz,
    guessed,
  );
}

async function history(env: CommandEnv, query: string, days: number): Promise<SlackMessage> {
  const servers = await listServers(env.db);
  const found = resolveName(query, servers);
  if (!found.match) return notFoundReply(query, found.suggestions.map((s) => s.name));
  const server = found.match;
  const since = new Date(env.now.getTime() - days * DAY_MS);
  const rows = await resultHistory(env.db, server.id, since);
  const byDay = new Map<string, Array<{ code: number; status: string }>>();
  for (const r of [...rows].reverse()) {
    const day = dayIn(env.tz, r.backupAt);
    byDay.set(day, [...(byDay.get(day) ?? []), { code: r.code, status: r.status }]);
  }
  const strip: Array<{ day: string; results: Array<{ code: number; status: string }> }> = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = dayIn(env.tz, new Date(env.now.getTime() - i * DAY_MS));
    strip.push({ day, results: byDay.get(day) ?? [] });
  }
  return historyReply(server, strip, found.guessed ? query : undefined);
}
