import type { AckInfo } from '../../reports/summary.ts';
import { ACTION, encodeServerRef, serverBlockId, type ServerAction } from '../action-ids.ts';
import { actions, button, code, esc, LIMITS, plain, truncate, type Block, type ButtonElement } from './blocks.ts';

/** What a per-server block needs to offer the right actions. */
export interface ServerActionsInput {
  serverId: number;
  resultId: number | null;
  status: string;
  hasReport: boolean;
  fileErrorCount: number;
  ack: AckInfo | null;
}

const LABEL: Record<ServerAction, string> = { ack: 'Acknowledge', exception: 'Add exception', reparse: 'Reparse', details: 'Details', accept: 'Accept as new normal' };

/** Acknowledge, Add exception (only with file errors), Accept as new normal (only when suspect), Reparse (only with a report), Details. */
export function availableActions(p: ServerActionsInput): ServerAction[] {
  const list: ServerAction[] = [];
  if (['failed', 'suspect', 'incomplete', 'missing'].includes(p.status) && !p.ack && p.resultId) list.push('ack');
  if (p.fileErrorCount > 0 && p.resultId) list.push('exception');
  if (p.status === 'suspect' && p.hasReport && p.resultId) list.push('accept');
  if (p.hasReport && p.resultId) list.push('reparse');
  list.push('details');
  return list;
}

const ref = (p: ServerActionsInput, action: ServerAction) => encodeServerRef({ action, serverId: p.serverId, resultId: p.resultId ?? 0 });

/** A Slack user id is safe to mention; anything else is shown as text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9_]{2,20}$/.test(userId) ? `<@${userId}>` : esc(userId);
}

export function ackLine(ack: AckInfo): string {
  return `:eyes: Acknowledged by ${mention(ack.userId)}${ack.note ? `: _${esc(truncate(ack.note, 200))}_` : ''}`;
}

/** One server in a list: its text, plus a "⋯" menu with the actions (one block per server). */
export function serverSection(p: ServerActionsInput, text: string): Block {
  const full = p.ack ? `${text}\n${ackLine(p.ack)}` : text;
  return {
    type: 'section',
    block_id: serverBlockId(p.serverId),
    text: { type: 'mrkdwn', text: truncate(full, LIMITS.sectionText) },
    accessory: {
      type: 'overflow',
      action_id: ACTION.serverMenu,
      options: availableActions(p).map((a) => ({ text: plain(LABEL[a], 75), value: ref(p, a) })),
    },
  };
}

/** The same actions as buttons, for a reply about one server. */
export function serverButtons(p: ServerActionsInput): Block {
  const elements: ButtonElement[] = availableActions(p).map((a) => button(LABEL[a], ACTION[a], ref(p, a), a === 'ack' ? 'primary' : undefined));
  return actions(elements, `act:${p.serverId}`);
}

export { code };
