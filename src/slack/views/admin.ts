import type { auditLog } from '../../db/schema.ts';
import type { ExceptionRow } from '../../exceptions/store.ts';
import { ACTION, encodeExceptionRef } from '../action-ids.ts';
import { button, code, context, esc, header, LIMITS, message, section, type Block, type SlackMessage } from './blocks.ts';
import { plural, when } from './format.ts';
import { mention } from './server-block.ts';

/** Replies for /backup exceptions, /backup audit and reparse progress. Pure. */

function scopeText(e: ExceptionRow, names: Map<number, string>, customers: Map<number, string>): string {
  if (e.scope === 'server') return `server ${code(names.get(e.serverId ?? -1) ?? `#${e.serverId}`)}`;
  if (e.scope === 'customer') return `customer *${esc(customers.get(e.customerId ?? -1) ?? `#${e.customerId}`)}*`;
  return '*everywhere*';
}

export function exceptionLine(e: ExceptionRow, names: Map<number, string>, customers: Map<number, string>, tz: string): string {
  const state = e.state === 'pending' ? ':hourglass: *pending approval*' : `:white_check_mark: approved by ${mention(e.approvedBy ?? '?')}`;
  const expiry = e.expiresAt ? ` · expires ${when(e.expiresAt, tz)}` : '';
  return `${code(e.pattern)} on ${scopeText(e, names, customers)} · ${state}${expiry}\n      _${esc(e.reason)}_ — asked by ${mention(e.createdBy)}`;
}

export function exceptionsReply(
  rows: ExceptionRow[],
  names: Map<number, string>,
  customers: Map<number, string>,
  tz: string,
  opts: { forServer?: string; canRemove: boolean },
): SlackMessage {
  const title = opts.forServer ? `Exceptions that apply to ${opts.forServer}` : 'Exceptions';
  if (rows.length === 0) return message(title, [header(title), section('No exceptions. Add one from a failing server’s *Add exception* button.')]);
  const blocks: Block[] = [header(title)];
  const room = LIMITS.blocksPerMessage - 2;
  for (const e of rows.slice(0, room)) {
    const text = exceptionLine(e, names, customers, tz);
    blocks.push(
      opts.canRemove
        ? { type: 'section', block_id: `exc:${e.id}`, text: { type: 'mrkdwn', text }, accessory: button('Remove', ACTION.removeException, encodeExceptionRef(e.id), 'danger') }
        : { type: 'section', block_id: `exc:${e.id}`, text: { type: 'mrkdwn', text } },
    );
  }
  if (rows.length > room) blocks.push(context(`…and ${plural(rows.length - room, 'more exception')}: \`backupbot exception list\` shows all.`));
  return message(title, blocks);
}

type AuditRow = typeof auditLog.$inferSelect;

export function auditReply(rows: AuditRow[], names: Map<number, string>, tz: string, forServer?: string): SlackMessage {
  const title = forServer ? `Audit: ${forServer}` : 'Audit';
  if (rows.length === 0) return message(title, [header(title), section('Nothing recorded yet.')]);
  const lines = rows.map((r) => {
    const server = r.serverId ? ` ${code(names.get(r.serverId) ?? `#${r.serverId}`)}` : '';
    const detail = Object.entries(r.details)
      .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${esc(String(v))}`)
      .join(' ');
    return `\`${when(r.at, tz)}\` ${mention(r.actor)} *${r.action}*${server}${detail ? ` · ${detail}` : ''}`;
  });
  const blocks: Block[] = [header(title)];
  let chunk = '';
  for (const l of lines) {
    if (chunk.length + l.length + 1 > LIMITS.sectionText) {
      blocks.push(section(chunk));
      chunk = '';
    }
    chunk = chunk ? `${chunk}\n${l}` : l;
  }
  if (chunk) blocks.push(section(chunk));
  return message(title, blocks.slice(0, LIMITS.blocksPerMessage));
}

export function reparseProgress(server: string, done: number, total: number, changed: number): SlackMessage {
  const pct = total ? Math.floor((done / total) * 100) : 100;
  const bar = '▓'.repeat(Math.floor(pct / 10)) + '░'.repeat(10 - Math.floor(pct / 10));
  return message(`Reparsing ${server}: ${done}/${total}`, [section(`:arrows_counterclockwise: Reparsing ${code(server)} · ${bar} ${done}/${total} · ${changed} changed so far`)]);
}

export function reparseDone(server: string, summary: string): SlackMessage {
  return message(`Reparsed ${server}`, [section(`:white_check_mark: Reparsed ${code(server)}: ${esc(summary)}`)]);
}
