import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import type { Origin } from '../action-ids.ts';
import type { ApproverCheck } from '../permissions.ts';
import { tell, type WorkflowDeps } from '../workflows.ts';
import type { WebClient } from '@slack/web-api';
import { countSlackCalls } from '../../metrics.ts';

/** What every listener gets: enough to build WorkflowDeps with the request's client. */
export interface ListenerDeps {
  db: Db;
  log: Logger;
  config: Config;
  approvers: (client: WebClient) => ApproverCheck;
  /** SLACK_ADMIN_GROUP (admins also include the approvers). */
  admins?: (client: WebClient) => ApproverCheck;
}

export function workflowDeps(deps: ListenerDeps, requestClient: WebClient): WorkflowDeps {
  // Bolt hands each listener its own client: counted here, where every workflow gets it.
  const client = countSlackCalls(requestClient);
  return { db: deps.db, client, config: deps.config, log: deps.log, approvers: deps.approvers(client) };
}

interface ActionBody {
  user: { id: string };
  channel?: { id: string };
  container?: { is_ephemeral?: boolean; message_ts?: string; channel_id?: string };
  message?: { ts?: string };
  response_url?: string;
  view?: { private_metadata?: string };
}

/** Where a click came from: the message (to update or answer in), or the modal's origin. */
export function originOf(body: ActionBody): Origin {
  if (body.view?.private_metadata) {
    try {
      const meta = JSON.parse(body.view.private_metadata) as { origin?: Origin };
      if (meta.origin) return meta.origin;
    } catch {
      // not ours: fall through
    }
  }
  const channel = body.channel?.id ?? body.container?.channel_id;
  const ts = body.container?.is_ephemeral ? undefined : (body.message?.ts ?? body.container?.message_ts);
  return { ...(channel ? { channel } : {}), ...(ts ? { ts } : {}), ...(body.response_url ? { responseUrl: body.response_url } : {}) };
}

/** Runs a workflow; a known problem (stale button, bad input) is told to the user privately. */
export async function guarded(deps: WorkflowDeps, userId: string, origin: Origin, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof AppError) {
      await tell(deps, userId, origin, err.message).catch(() => undefined);
      return;
    }
    deps.log.error({ err }, 'Slack action failed');
    await tell(deps, userId, origin, 'Sorry, that did not work. Try again; if it keeps failing, check the backupbot log.').catch(() => undefined);
  }
}
