import { message, section, type SlackMessage } from './blocks.ts';
import { when } from './format.ts';

/** `/backup web`: a personal sign-in link to the web reports (shown only to the asker). Pure. */
export function webLinkReply(link: { url: string; expiresAt: Date } | null, tz: string): SlackMessage {
  if (!link) return message('The web reports are not available here.', [section('The web reports are not available from this workspace.')]);
  return message(`Your link to the backup reports: ${link.url}`, [
    section(`:bar_chart: <${link.url}|Open the backup reports> — history heatmap, server pages, nightly and failure reports.`),
    section(`_The link signs you in, works until ${when(link.expiresAt, tz)} and is for you only: do not forward it._`),
  ]);
}
