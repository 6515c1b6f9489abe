import type { Html } from '../web/html.ts';
import { STYLESHEET } from '../web/views/layout.ts';
import { toPlainText, type SlackMessage } from '../slack/views/blocks.ts';

/**
 * A web page made fit for email: the stylesheet inline (mail clients do not fetch it) and
 * every site-relative link made absolute on PUBLIC_URL. Pure.
 */
export function emailHtml(page: Html, base: string): string {
  return page.value
    .replace('<link rel="stylesheet" href="/web/style.css">', `<style>${STYLESHEET}</style>`)
    .replace(/<link rel="icon" href="data:,">/, '')
    .replace(/ href="\//g, ` href="${base}/`);
}

/** The plain-text part: what the Slack post says, with its links spelled out. Pure. */
export function emailText(messages: SlackMessage[], links: Array<[string, string]>): string {
  const body = toPlainText(messages).replace(/<(https?:[^|>\s]+)\|([^>]+)>/g, '$2 ($1)');
  return `${body}\n\n${links.map(([label, url]) => `${label}: ${url}`).join('\n')}\n`;
}
