import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { fleetWithDetail } from '../reports/summary.ts';
import { recordIncidentMessage, syncIncidents, wantedIncidents, type Incident } from './incidents.ts';

/** How incidents reach people: Slack (with the TSR3 mention) or the log. */
export interface IncidentNotifier {
  opened(incident: Incident, lines: string[]): Promise<{ channel: string; ts: string } | null>;
  closed(incident: Incident): Promise<void>;
}

/**
 * Looks at every server's current state and pings TSR3 once per new incident (a backup target with many
 * failures, or a failure only TSR3 can fix); incidents that cleared get a "resolved" reply.
 */
export async function escalate(db: Db, now: Date, threshold: number, notifier: IncidentNotifier, log: Logger): Promise<{ opened: number; closed: number }> {
  // Only failed and suspect servers can count towards an incident: read only those in full.
  const fleet = (await fleetWithDetail(db, now, ['failed', 'suspect'])).detail;
  const byId = new Map(fleet.map((s) => [s.server.id, s]));
  const { opened, closed } = await syncIncidents(db, wantedIncidents(fleet, threshold), now);
  for (const incident of opened) {
    const lines = incident.serverIds.map((id) => {
      const s = byId.get(id)!;
      return `${s.server.name} (${s.server.customerName}) · ${s.state} · code ${s.latest?.code}: ${s.latest?.meaning}`;
    });
    try {
      const where = await notifier.opened(incident, lines);
      if (where) await recordIncidentMessage(db, incident.id, where.channel, where.ts);
    } catch (err) {
      log.error({ err, incident: incident.key }, 'could not post an escalation');
    }
  }
  for (const incident of closed) await notifier.closed(incident).catch((err: unknown) => log.warn({ err }, 'could not post an incident resolution'));
  return { opened: opened.length, closed: closed.length };
}
