import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { IncidentNotifier } from '../escalation/escalate.ts';
import { code, esc, packSections } from './views/blocks.ts';

/**
 * Posts an incident to the failure channel with one mention of the escalation group, and
 * the affected servers in the thread (so a long list pings nobody twice).
 */
export function slackIncidentNotifier(client: WebClient, channel: string | undefined, group: string | undefined): IncidentNotifier {
  const who = group && /^S[A-Z0-9]+$/.test(group) ? `<!subteam^${group}>` : 'TSR3';
  return {
    async opened(incident, lines) {
      if (!channel) return null;
      const text = `:rotating_light: ${who}: ${esc(incident.title)}`;
      const res = await client.chat.postMessage({ channel, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
      if (!res.ts) return null;
      const blocks = packSections([`*Affected (${lines.length}):*`, ...lines.map((l) => `• ${code(l)}`)]).slice(0, 49);
      await client.chat.postMessage({ channel, thread_ts: res.ts, text: `Affected servers: ${lines.length}`, blocks });
      return { channel, ts: res.ts };
    },
    async closed(incident) {
      if (!incident.channel || !incident.ts) return;
      await client.chat.postMessage({ channel: incident.channel, thread_ts: incident.ts, text: `:white_check_mark: Resolved: ${esc(incident.title)}` });
    },
  };
}

export function logIncidentNotifier(log: Logger): IncidentNotifier {
  return {
    async opened(incident, lines) {
      log.warn({ incident: incident.key, servers: lines }, `escalation for TSR3: ${incident.title}`);
      return null;
    },
    async closed(incident) {
      log.info({ incident: incident.key }, `resolved: ${incident.title}`);
    },
  };
}
