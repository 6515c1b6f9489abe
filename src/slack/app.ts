import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { registerExceptionActions } from './listeners/actions/exceptions.ts';
import { registerServerActions } from './listeners/actions/server.ts';
import { registerBackupCommand } from './listeners/commands/backup.ts';
import type { ListenerDeps } from './listeners/context.ts';
import { registerAppHome } from './listeners/events/home.ts';
import { registerModalSubmissions } from './listeners/views/modals.ts';
import { approverCheck } from './permissions.ts';

export interface SlackApp {
  client: WebClient;
  /** Set in HTTP mode: handles POST /slack/events (signature checked by Bolt). */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Bolt logs through our pino logger. */
function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'slack' });
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * The Bolt app, or null when Slack is not configured (summaries then go to the log).
 * HTTP mode shares backupbot's HTTP server; Socket Mode (SLACK_APP_TOKEN) needs no public URL.
 */
export function createSlackApp(config: Config, deps: { db: Db; log: Logger }): SlackApp | null {
  if (!config.SLACK_BOT_TOKEN) return null;
  const logger = boltLogger(deps.log);
  const clientOptions = { slackApiUrl: config.SLACK_API_URL };
  let app: App;
  let handler: SlackApp['handler'];
  if (config.SLACK_APP_TOKEN) {
    app = new App({ token: config.SLACK_BOT_TOKEN, appToken: config.SLACK_APP_TOKEN, socketMode: true, logger, clientOptions });
  } else {
    const receiver = new HTTPReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET!,
      endpoints: '/slack/events',
      logger,
    });
    app = new App({ token: config.SLACK_BOT_TOKEN, receiver, logger, clientOptions });
    handler = receiver.requestListener;
  }
  // One approver check (and its cache) for the app's lifetime.
  const approvers = approverCheck(config.SLACK_APPROVER_GROUP, app.client);
  const listenerDeps: ListenerDeps = { db: deps.db, log: deps.log, config, approvers: () => approvers };
  registerBackupCommand(app, listenerDeps);
  registerServerActions(app, listenerDeps);
  registerExceptionActions(app, listenerDeps);
  registerModalSubmissions(app, listenerDeps);
  registerAppHome(app, listenerDeps);
  app.error(async (err) => {
    deps.log.error({ err }, 'Slack listener failed');
  });
  return {
    client: app.client,
    ...(handler ? { handler } : {}),
    async start() {
      if (config.SLACK_APP_TOKEN) await app.start();
    },
    async stop() {
      if (config.SLACK_APP_TOKEN) await app.stop();
    },
  };
}
