import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type AnyMiddlewareArgs, type Logger as BoltLogger, type Middleware } from '@slack/bolt';
import { ACTION, STALE_BUTTON, VIEW } from './action-ids.ts';
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
import { countSlackCalls } from '../metrics.ts';

export interface SlackApp {
  client: WebClient;
  /** Set in HTTP mode: handles POST /slack/events (signature checked by Bolt). */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Connects to Slack; resolves after the first attempt, whatever its outcome (never rejects).
   * A failed attempt is logged with the fix and retried in the background until stop().
   */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const FIRST_RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60_000;

function describeSlackError(err: unknown): string {
  const e = err as { data?: { error?: string }; code?: string; message?: string };
  return e.data?.error ?? e.code ?? e.message ?? String(err);
}

/**
 * What to change for the usual reasons Slack refuses to start. `step` says which token was in
 * use: the bot token (auth.test) or, in Socket Mode, the app-level token (apps.connections.open),
 * which Slack refuses with the same invalid_auth.
 */
function slackFix(err: unknown, step: 'bot' | 'socket'): string {
  const why = describeSlackError(err);
  const appTokenFix = 'Check SLACK_APP_TOKEN (an app-level token, xapp-..., with connections:write, from your Slack app\'s Basic Information page).';
  if (/invalid_auth|not_authed|account_inactive|token_revoked|not_allowed_token_type/.test(why)) {
    return step === 'socket' ? appTokenFix : 'Check SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-..., from your Slack app\'s OAuth & Permissions page).';
  }
  if (/app_token|invalid_app|socket/i.test(why)) return appTokenFix;
  return 'Check that this host can reach Slack (SLACK_API_URL).';
}

const KNOWN_ACTIONS = new Set<string>(Object.values(ACTION));
const KNOWN_VIEWS = new Set<string>(Object.values(VIEW));

interface InteractionBody {
  type?: string;
  user?: { id?: string };
  actions?: Array<{ action_id?: string }>;
  view?: { callback_id?: string };
  response_url?: string;
}

/**
 * Runs before every listener. A signed interaction without a user (Bolt would crash on it),
 * or with a button or modal this version does not know (an old message, another app's
 * payload), is acknowledged at once instead of timing out into a 404; the user is told.
 */
function refuseUnknownInteractions(log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as InteractionBody;
    const ack = 'ack' in args ? (args.ack as (response?: unknown) => Promise<void>) : null;
    if (!ack || (body.type !== 'block_actions' && body.type !== 'view_submission')) return args.next();
    if (!body.user?.id) {
      log.warn({ type: body.type }, 'Slack interaction without a user; acknowledged and ignored');
      return ack();
    }
    const unknown =
      body.type === 'block_actions'
        ? (body.actions ?? []).some((a) => !KNOWN_ACTIONS.has(a.action_id ?? ''))
        : !KNOWN_VIEWS.has(body.view?.callback_id ?? '');
    if (!unknown) return args.next();
    log.warn({ type: body.type, actions: body.actions?.map((a) => a.action_id), view: body.view?.callback_id }, 'unknown Slack interaction; acknowledged');
    await ack();
    if (body.response_url) {
      await fetch(body.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: STALE_BUTTON }),
      }).catch(() => undefined);
    }
  };
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
  /** Set once Slack accepted the token; until then Bolt cannot handle requests. */
  let ready = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  // deferInitialization: Bolt would otherwise call auth.test in the constructor and a wrong
  // token would crash the whole process (uploads included) with an unhandled rejection.
  if (config.SLACK_APP_TOKEN) {
    app = new App({ token: config.SLACK_BOT_TOKEN, appToken: config.SLACK_APP_TOKEN, socketMode: true, logger, clientOptions, deferInitialization: true });
  } else {
    const receiver = new HTTPReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET!,
      endpoints: '/slack/events',
      logger,
      // Bolt answers a listener's crash with a bare 500 and an unacknowledged request with a
      // 404 after 3 s; Slack shows both as an error. Answer 200 instead: the user is told
      // privately where that is possible (see the middleware below), and the cause is logged once.
      processEventErrorHandler: async ({ error, response }) => {
        deps.log.error({ err: error }, 'Slack request failed');
        if (!response.headersSent) {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ response_type: 'ephemeral', text: 'Sorry, backupbot could not handle that. Try again; if it keeps failing, check the backupbot log.' }));
        }
        return true;
      },
      unhandledRequestTimeoutMillis: 2500,
      unhandledRequestHandler: ({ response }) => {
        deps.log.warn('a Slack request was not acknowledged by any listener; answered 200');
        if (!response.headersSent) {
          response.writeHead(200);
          response.end();
        }
      },
    });
    app = new App({ token: config.SLACK_BOT_TOKEN, receiver, logger, clientOptions, deferInitialization: true });
    handler = (req, res) => {
      if (ready) return receiver.requestListener(req, res);
      // Until Slack accepted our token Bolt cannot handle anything; Slack retries later.
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30', connection: 'close' });
      res.end(JSON.stringify({ error: { code: 'slack_not_ready', message: 'backupbot has not connected to Slack yet (see its log).' } }));
      req.resume();
    };
  }
  // One approver check (and its cache) for the app's lifetime.
  // The app's own client (scheduled posts, sign-in, approver checks) counts its calls for /metrics.
  const client = countSlackCalls(app.client);
  const approvers = approverCheck(config.SLACK_APPROVER_GROUP, client);
  const admins = approverCheck(config.SLACK_ADMIN_GROUP, client);
  const listenerDeps: ListenerDeps = { db: deps.db, log: deps.log, config, approvers: () => approvers, admins: () => admins };
  app.use(refuseUnknownInteractions(deps.log));
  registerBackupCommand(app, listenerDeps);
  registerServerActions(app, listenerDeps);
  registerExceptionActions(app, listenerDeps);
  registerModalSubmissions(app, listenerDeps);
  registerAppHome(app, listenerDeps);
  app.error(async (err) => {
    deps.log.error({ err }, 'Slack listener failed');
  });
  return {
    client,
    ...(handler ? { handler } : {}),
    start() {
      // Connects in the background and keeps trying: Slack being down or a wrong token costs
      // the Slack features until it is fixed, never the upload API.
      const attempt = async (delayMs: number) => {
        let step: 'bot' | 'socket' = 'bot';
        try {
          await app.init();
          step = 'socket';
          if (config.SLACK_APP_TOKEN) await app.start();
          ready = true;
          deps.log.info('connected to Slack');
        } catch (err) {
          deps.log.error(`Slack refused to start (${describeSlackError(err)}); uploads keep working. ${slackFix(err, step)} Retrying in ${Math.round(delayMs / 1000)} s.`);
          if (!stopped) {
            retry = setTimeout(() => void attempt(Math.min(delayMs * 2, MAX_RETRY_MS)), delayMs);
            retry.unref();
          }
        }
      };
      return attempt(FIRST_RETRY_MS);
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      if (config.SLACK_APP_TOKEN && ready) await app.stop();
    },
  };
}
