import type { ServerState } from '../../fleet/state.ts';
import type { ProblemRow, ServerRow, StateCounts } from '../../reports/summary.ts';
import type { ServerWithCustomer } from '../../fleet/servers.ts';
import type { ResultRow } from '../../reports/results.ts';
import { code, context, divider, esc, header, LIMITS, message, packSections, packSectionsUpTo, section, type Block, type SlackMessage } from './blocks.ts';
import { codeLabel } from '../../parsers/index.ts';
import { ago, icon, plural, when } from './format.ts';
import { problemBlocks } from './nightly.ts';
import { ackLine, serverButtons } from './server-block.ts';
import type { BaselineView } from '../../reports/baseline.ts';
import { baselineLines, suspicionLines } from './baseline.ts';

/** Replies to /backup. Pure: data in, one (ephemeral) message out. */

const ORDER: ServerState[] = ['failed', 'suspect', 'incomplete', 'missing', 'waiting', 'paused', 'ok'];
export const STATE_LABEL: Record<ServerState, string> = {
  failed: 'failed',
  suspect: 'suspect',
  incomplete: 'incomplete',
  missing: 'missing',
  waiting: 'waiting for a first report',
  paused: 'paused',
  ok: 'ok',
};

/** Keeps a reply within one message, and says so when it had to leave something out. */
function fit(title: string, head: Block[], lines: string[], overflow: (n: number) => string): SlackMessage {
  const { blocks: body, used } = packSectionsUpTo(lines, LIMITS.blocksPerMessage - head.length - 1);
  const blocks = [...head, ...body];
  if (used < lines.length) blocks.push(context(overflow(lines.length - used)));
  return message(title, blocks);
}

/** The same for one block per item (servers with their actions). */
function fitBlocks(title: string, head: Block[], items: Block[], overflow: (n: number) => string): SlackMessage {
  const room = LIMITS.blocksPerMessage - head.length - 1;
  const blocks = [...head, ...items.slice(0, room)];
  if (items.length > room) blocks.push(context(overflow(items.length - room)));
  return message(title, blocks);
}

export function fleetOverview(counts: StateCounts, problems: ProblemRow[], now: Date): SlackMessage {
  const total = ORDER.reduce((n, s) => n + counts[s], 0);
  const summary = ORDER.filter((s) => counts[s] > 0)
    .map((s) => `${icon(s)} *${counts[s]}* ${STATE_LABEL[s]}`)
    .join(' · ');
  const title = `Backup status: ${plural(total, 'server')}`;
  const head = [header(title), section(summary || 'No servers yet. Add one with `backupbot server add CUSTOMER SERVER`.')];
  if (problems.length === 0) return message(title, head);
  head.push(divider());
  return fitBlocks(title, head, problemBlocks(problems, now), (n) => `…and ${plural(n, 'more server')}: the nightly summary thread and \`backupbot status\` list every one.`);
}

export interface ServerDetail {
  server: ServerWithCustomer;
  /** The server as every list shows it (state, meaning, advice, acknowledgement). */
  row: ServerRow;
  latest: ResultRow | null;
  fileErrors: Array<{ path: string; kind: string; excepted: boolean }>;
  /** The baseline next to the latest numbers (absent: not shown). */
  baseline?: BaselineView | null;
}

export function serverReply(d: ServerDetail, now: Date, tz: string, guessedFrom?: string): SlackMessage {
  const { server, latest, row } = d;
  const title = `${server.name} (${server.customerName})`;
  const blocks: Block[] = [header(title)];
  if (guessedFrom) blocks.push(context(`Showing ${code(server.name)} for “${esc(guessedFrom)}”.`));
  if (server.removedAt) blocks.push(context(`Removed on ${when(server.removedAt, tz)}: no longer expected; its history is kept.`));
  const codePart = row.code !== null ? ` · ${codeLabel(row.format, row.code)}` : '';
  const lines = [`${icon(row.status)} *${STATE_LABEL[row.status]}*${codePart}: ${esc(row.meaning)}`];
  const schedule = `expected \`${esc(server.scheduleCron)}\` (${esc(server.timezone)}), ${server.graceMinutes} min grace`;
  lines.push(
    latest
      ? `Last report ${when(latest.backupAt, tz)} · last ok ${ago(row.lastSuccessAt, now)} · ${schedule}${server.targetHost ? ` · target ${code(server.targetHost)}` : ''}`
      : `No reports yet · ${schedule}`,
  );
  if (row.reason) lines.push(`_Why:_ ${esc(row.reason)}`);
  lines.push(...suspicionLines(row.suspicion));
  if (row.status !== 'ok') lines.push(`_What to do:_ ${esc(row.hint)}`);
  if (latest?.reportId) lines.push(...baselineLines(d.baseline, tz));
  if (row.ack) lines.push(ackLine(row.ack));
  blocks.push(section(lines.join('\n')));
  // File errors belong to the result the row shows (not to an older one behind a missing slot).
  if (d.fileErrors.length && latest && row.resultId === latest.id && row.code !== null) {
    const errs = d.fileErrors.map((e) => `${e.excepted ? ':white_check_mark: excepted ' : ':x: '}${e.kind} ${code(e.path)}`);
    const more = latest.fileErrorCount - d.fileErrors.length;
    const packed = packSections([`*File errors* (${latest.fileErrorCount}, ${latest.exceptedCount} excepted):`, ...errs]).slice(0, 5);
    blocks.push(...packed);
    if (more > 0) blocks.push(context(`…and ${plural(more, 'more file error')}: \`backupbot status ${esc(server.name)} --json\` lists them all.`));
  }
  if (!server.removedAt) blocks.push(serverButtons(row));
  return message(`${title}: ${row.status}${row.code !== null ? `, ${codeLabel(row.format, row.code)}` : ''}`, blocks);
}

export function customerReply(customer: string, rows: Array<{ server: string; status: ServerState; code: number | null; format: string | null; backupAt: Date | null }>, tz: string, guessedFrom?: string): SlackMessage {
  const title = `${customer}: ${plural(rows.length, 'server')}`;
  const head: Block[] = [header(title)];
  if (guessedFrom) head.push(context(`Showing customer “${esc(customer)}” for “${esc(guessedFrom)}”.`));
  const lines = rows.map((r) => `${icon(r.status)} ${code(r.server)} ${STATE_LABEL[r.status]}${r.code !== null ? ` · ${codeLabel(r.format, r.code)}` : ''}${r.backupAt ? ` · ${when(r.backupAt, tz)}` : ''}`);
  return fit(title, head, lines.length ? lines : ['No servers yet.'], (n) => `…and ${plural(n, 'more server')}.`);
}

export function historyReply(server: ServerWithCustomer, days: Array<{ day: string; results: Array<{ code: number; status: string; format?: string }> }>, guessedFrom?: string): SlackMessage {
  const title = `${server.name}: last ${plural(days.length, 'day')}`;
  const head: Block[] = [header(title)];
  if (guessedFrom) head.push(context(`Showing ${code(server.name)} for “${esc(guessedFrom)}”.`));
  const strip = days.map((d) => {
    const last = d.results[d.results.length - 1];
    return last ? icon(last.status) : '▫️';
  });
  head.push(section(strip.join('')));
  const lines = days.map((d) => {
    if (d.results.length === 0) return `\`${d.day}\` ▫️ no result`;
    return `\`${d.day}\` ${d.results.map((r) => `${icon(r.status)} ${r.status === 'missing' ? 'no report' : codeLabel(r.format, r.code)}`).join(', ')}`;
  });
  return fit(title, head, lines.reverse(), (n) => `…and ${plural(n, 'more day')}.`);
}

export function failuresReply(problems: ProblemRow[], now: Date): SlackMessage {
  const title = problems.length ? `Failing now: ${plural(problems.length, 'server')}` : 'Nothing is failing right now';
  if (problems.length === 0) return message(title, [header(title), section(':tada: Every server’s latest backup is ok.')]);
  return fitBlocks(title, [header(title)], problemBlocks(problems, now), (n) => `…and ${plural(n, 'more server')}: the nightly summary thread and \`backupbot status\` list every one.`);
}

export function notFoundReply(query: string, suggestions: string[]): SlackMessage {
  const text = suggestions.length
    ? `No server or customer is called “${esc(query)}”. Did you mean ${suggestions.map(code).join(', ')}?`
    : `No server or customer is called “${esc(query)}”. \`/backup status\` lists the fleet.`;
  return message(`Unknown name: ${query}`, [section(text)]);
}

/** After `/backup pause` (reason given) or `/backup resume` (reason null). */
export function pausedReply(server: string, until: Date | null, reason: string | null): SlackMessage {
  const text =
    reason === null
      ? `:arrow_forward: Resumed ${code(server)}: its next scheduled backup is expected again.`
      : `${icon('paused')} Paused ${code(server)}${until ? ` until ${until.toISOString().slice(0, 10)}` : ' until someone resumes it'}: _${esc(reason)}_. It is listed as paused, never missing, and never escalated.`;
  return message(reason === null ? `Resumed ${server}` : `Paused ${server}`, [section(text)]);
}

export function ambiguousReply(text: string): SlackMessage {
  return message(text, [section(`:warning: ${esc(text)}`)]);
}

export function helpReply(error?: string): SlackMessage {
  const lines = [
    '*/backup* — what happened to last night’s backups',
    '• `/backup status` — the fleet, worst first',
    '• `/backup status SERVER|CUSTOMER` (or just `/backup SERVER`) — latest verdict, failing paths, what to do',
    '• `/backup history SERVER [DAYS]` — one line per day with the codes (default 14 days)',
    '• `/backup failures` — everything failing now',
    '• `/backup pause SERVER [until YYYY-MM-DD] REASON` · `/backup resume SERVER` — admins: stop or restart expecting backups',
    '• `/backup web` — a personal link to the web reports (history heatmap, server pages)',
    '• `/backup help` — this message',
    'Names match loosely: a prefix or a small typo is fine.',
  ];
  const blocks: Block[] = [];
  if (error) blocks.push(section(`:warning: ${esc(error)}`));
  blocks.push(section(lines.join('\n')));
  return message(error ?? 'How to use /backup', blocks);
}
