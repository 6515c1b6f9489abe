import type { PostedMeta } from '../../db/schema.ts';

/**
 * Block Kit building blocks and Slack's limits. Everything in views/ is pure: data in,
 * JSON out. Text that comes from logs or users goes through esc()/code() so a file called
 * "<!channel>" is shown, not obeyed.
 */

export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  fallbackText: 3000,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
} as const;

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export interface ButtonElement {
  type: 'button';
  text: TextObject;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
}
export interface OverflowElement {
  type: 'overflow';
  action_id: string;
  options: Array<{ text: TextObject; value: string }>;
}
export type Block =
  | { type: 'header'; text: TextObject; block_id?: string }
  | { type: 'section'; text: TextObject; block_id?: string; accessory?: ButtonElement | OverflowElement }
  | { type: 'context'; elements: TextObject[]; block_id?: string }
  | { type: 'divider'; block_id?: string }
  | { type: 'actions'; elements: ButtonElement[]; block_id?: string };

export interface SlackMessage {
  /** Notification / fallback text. */
  text: string;
  blocks: Block[];
  /** Not sent to Slack: kept with the posted message so its headline can be recomputed. */
  meta?: PostedMeta;
}

/** Escapes the three characters Slack treats as control sequences in message text. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Shows untrusted text (a path, a server name) as inline code, safely. */
export function code(text: string): string {
  const clean = esc(text).replace(/`/g, "'").replace(/\r?\n/g, '␤');
  return `\`${clean}\``;
}

/** A message whose fallback text is escaped like everything else. */
export function message(text: string, blocks: Block[]): SlackMessage {
  return { text: truncate(esc(text), LIMITS.fallbackText), blocks };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) });
export const plain = (text: string, max: number = LIMITS.headerText): TextObject => ({ type: 'plain_text', text: truncate(text, max), emoji: true });

export const header = (text: string): Block => ({ type: 'header', text: plain(text) });
export const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });
export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t)),
});
export const divider = (): Block => ({ type: 'divider' });

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): ButtonElement {
  return { type: 'button', text: plain(text, LIMITS.buttonText), action_id: actionId, value, ...(style ? { style } : {}) };
}

export const actions = (elements: ButtonElement[], blockId?: string): Block => ({ type: 'actions', elements, ...(blockId ? { block_id: blockId } : {}) });

/**
 * Packs lines into section blocks of at most 3,000 characters each, never splitting a line
 * (a line longer than the limit is cut, visibly). Stops at `maxBlocks`, reporting how many
 * lines made it in.
 */
export function packSectionsUpTo(lines: string[], maxBlocks: number): { blocks: Block[]; used: number } {
  const blocks: Block[] = [];
  let current = '';
  let used = 0;
  let inCurrent = 0;
  for (const raw of lines) {
    const line = truncate(raw, LIMITS.sectionText);
    if (current && current.length + 1 + line.length > LIMITS.sectionText) {
      if (blocks.length + 1 >= maxBlocks) return { blocks: [...blocks, section(current)], used: used + inCurrent };
      blocks.push(section(current));
      used += inCurrent;
      current = '';
      inCurrent = 0;
    }
    current = current ? `${current}\n${line}` : line;
    inCurrent++;
  }
  if (current) blocks.push(section(current));
  return { blocks, used: used + inCurrent };
}

export function packSections(lines: string[]): Block[] {
  return packSectionsUpTo(lines, Infinity).blocks;
}

/**
 * Splits a long list of blocks into messages of at most 50 blocks: the first carries the
 * head blocks, the rest (posted as thread replies) say which part they are.
 */
export function paginate(title: string, head: Block[], body: Block[], fallback: string): SlackMessage[] {
  const room = LIMITS.blocksPerMessage - 1; // one block for the "part n of m" context
  const pages: Block[][] = [];
  let page = [...head];
  for (const block of body) {
    if (page.length >= room) {
      pages.push(page);
      page = [];
    }
    page.push(block);
  }
  pages.push(page);
  return pages.map((blocks, i) => ({
    text: truncate(esc(i === 0 ? fallback : `${title} (part ${i + 1} of ${pages.length})`), LIMITS.fallbackText),
    blocks: pages.length > 1 ? [...blocks, context(`${esc(title)} · part ${i + 1} of ${pages.length}${i === 0 ? ' · continued in the thread' : ''}`)] : blocks,
  }));
}

/** The emoji the views use, as characters a terminal shows. */
const EMOJI: Record<string, string> = {
  ':white_check_mark:': '✅',
  ':x:': '❌',
  ':hourglass_flowing_sand:': '⏳',
  ':hourglass:': '⏳',
  ':grey_question:': '❔',
  ':new:': '🆕',
  ':double_vertical_bar:': '⏸️',
  ':arrow_forward:': '▶️',
  ':inbox_tray:': '📥',
  ':tada:': '🎉',
  ':eyes:': '👀',
  ':bookmark:': '🔖',
  ':warning:': '⚠️',
  ':rotating_light:': '🚨',
  ':arrows_counterclockwise:': '🔄',
  ':no_entry:': '⛔',
};

/** What the message says, as plain text: for the log when no Slack workspace is set up. */
export function toPlainText(messages: SlackMessage[]): string {
  const unescape = (t: string) =>
    t
      .replace(/:[a-z_]+:/g, (m) => EMOJI[m] ?? m)
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const out: string[] = [];
  for (const m of messages) {
    for (const b of m.blocks) {
      if (b.type === 'header') out.push(`== ${b.text.text} ==`);
      else if (b.type === 'section') out.push(unescape(b.text.text));
      else if (b.type === 'context') out.push(unescape(b.elements.map((e) => e.text).join('  ')));
      else if (b.type === 'divider') out.push('');
    }
  }
  return out.join('\n');
}
