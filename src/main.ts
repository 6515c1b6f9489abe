import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { listenCliSocket, type CliRunner } from './cli/socket.ts';
import { suspectThresholdsOf, type Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { acquireLock, updateLock } from './db/lock.ts';
import { AppError } from './errors.ts';
import { createDbGuard } from './db/health.ts';
import { startupDbError } from './db/startup-error.ts';
import { makePrivate } from './db/private-dir.ts';
import { createHttpServer, type UploadLimits } from './http/server.ts';
import { recoverPending, sweepAbortedUploads } from './reports/recover.ts';
import { scheduledJobs } from './schedule/jobs.ts';
import { createScheduler, type Scheduler } from './schedule/scheduler.ts';
import { createSlackApp, type SlackApp } from './slack/app.ts';
import { logPublisher, slackPublisher } from './slack/publish.ts';
import { escalate } from './escalation/escalate.ts';
import { logIncidentNotifier, slackIncidentNotifier } from './slack/escalation.ts';
import { recordPosted } from './slack/messages.ts';
import { publicBase, webSecret } from './web/auth.ts';
import { createWebRoutes } from './web/routes.ts';
import { fleetPicture } from './web/picture.ts';
import { withFleetPicture } from './slack/picture.ts';
import { emailJobs } from './email/jobs.ts';
import { enableMetrics } from './metrics.ts';
import { pruneJob } from './schedule/prune-job.ts';
import { smtpMailer } from './email/mailer.ts';

export interface Service {
  database: Database;
  http: Server;
  slack: SlackApp | null;
  scheduler: Scheduler;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** An already open database (tests); otherwise one is opened from config. */
  database?: Database;
  /** Start the cron trigger (tests drive the scheduler with a fake clock instead). */
  schedule?: boolean;
  /** Runs CLI commands sent by other processes while we own the embedded database. */
  cliRunner?: (database: Database) => CliRunner;
}

/** In-flight requests get this long to finish when the service stops; then they are cut. */
const STOP_GRACE_MS = 3000;
/** How long start waits for Slack's first answer before going on without it. */
const SLACK_START_WAIT_MS = 5000;
/** How often aborted uploads are swept and DATA_DIR's file modes put right. */
const HOUSEKEEPING_MS = 10 * 60_000;

/** Composition root: config -> database -> recovery -> HTTP (+ CLI socket). */
export async function startService(config: Config, log: Logger, opts: StartOptions = {}): Promise<Service> {
  const cleanups: Array<[string, () => Promise<void> | void]> = [];
  const stop = async () => {
    for (const [what, fn] of cleanups.reverse()) {
      const started = Date.now();
      try {
        await fn();
      } catch (err) {
        log.warn({ err: (err as Error).message, what }, 'a part of the service did not stop cleanly');
      }
      if (Date.now() - started > 500) log.warn({ what, ms: Date.now() - started }, 'slow to stop');
    }
    cleanups.length = 0;
  };
  try {
    let dataDir: string | undefined;
    if (!config.DATABASE_URL && !opts.database) {
      dataDir = resolve(config.DATA_DIR);
      // New files and directories (the lock, the CLI socket) are the service user's alone.
      process.umask(0o077);
      makePrivate(dataDir);
      const lock = acquireLock(dataDir, { pid: process.pid });
      if (!lock.ok) {
        throw new AppError('startup', `Another backupbot (pid ${lock.holder.pid}) is already serving the embedded database in ${dataDir}; stop it first, or set DATA_DIR or DATABASE_URL.`);
      }
      cleanups.push(['lock', lock.release]);
      // Runs after the database is closed (cleanups run in reverse): files PGlite created since
      // the last sweep are made private before the service is gone.
      const dir = dataDir;
      cleanups.push(['DATA_DIR modes', () => void makePrivate(dir)]);
    }
    const database = opts.database ?? (await openDatabase({
      url: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    }).catch((err: unknown) => {
      throw startupDbError(config, err);
    }));
    if (!opts.database) cleanups.push(['database', () => database.close()]);
    await database.migrate().catch((err: unknown) => {
      throw startupDbError(config, err);
    });
    if (dataDir) makePrivate(dataDir);
    await recoverPending(database.db, log);
    const guard = createDbGuard(database, log, {
      intervalMs: config.DB_HEALTH_INTERVAL_MS,
      pingTimeoutMs: 1000,
      deadlineMs: config.DB_STATEMENT_TIMEOUT_MS,
      monitor: database.kind === 'postgres',
    });
    cleanups.push(['database monitor', () => guard.stop()]);

    const slack = createSlackApp(config, { db: database.db, log });
    let secret: Promise<Buffer> | undefined;
    let teamId: Promise<string> | undefined;
    const web = createWebRoutes({
      db: database.db,
      log,
      tz: config.TZ,
      digestDays: config.DIGEST_DAYS,
      secureCookies: config.PUBLIC_URL?.startsWith('https:') ?? false,
      slackConfigured: Boolean(config.SLACK_BOT_TOKEN),
      // Resolved on first use and kept; retried if the database was briefly unavailable.
      oidc:
        slack && config.SLACK_CLIENT_ID && config.SLACK_CLIENT_SECRET
          ? {
              settings: { clientId: config.SLACK_CLIENT_ID, clientSecret: config.SLACK_CLIENT_SECRET, apiUrl: config.SLACK_API_URL, base: publicBase(config.PUBLIC_URL, config.PORT) },
              // The workspace the bot is installed in is the only one whose members may sign in.
              teamId: () =>
                (teamId ??= slack.client.auth.test().then((r) => {
                  if (!r.team_id) throw new Error('auth.test returned no team_id');
                  return r.team_id;
                }).catch((err: unknown) => ((teamId = undefined), Promise.reject(err)))),
            }
          : undefined,
      secret: () => (secret ??= webSecret(database.db, config.WEB_SECRET).catch((err: unknown) => ((secret = undefined), Promise.reject(err)))),
    });
    const receiving = new Set<number>();
    await enableMetrics({
      kind: database.kind,
      // openDatabase's pool size for serve (src/db/client.ts); PGlite is one connection.
      poolMax: database.kind === 'postgres' ? 10 : 1,
      up: () => (guard.state() === 'up' ? 1 : 0),
    });
    const http = createHttpServer({ database, log, guard, receiving, slack: slack?.handler, web, suspect: suspectThresholdsOf(config), limits: uploadLimits(config) });
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(config.PORT, config.HOST, () => ok());
    }).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new AppError('startup', `Port ${config.PORT} on ${config.HOST} is already in use (another backupbot?): stop that process or set PORT.`);
      if (code === 'EACCES') throw new AppError('startup', `Not allowed to listen on port ${config.PORT}: use a port above 1023 in PORT, or grant the capability.`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new AppError('startup', `HOST ${config.HOST} is not an address of this machine: set HOST (0.0.0.0 for all).`);
      throw err;
    });
    cleanups.push([
      'http',
      () =>
        new Promise<void>((ok) => {
          http.close(() => ok());
          http.closeIdleConnections();
          // Requests still waiting (on a database that does not answer, say) are cut after a grace period.
          setTimeout(() => http.closeAllConnections(), STOP_GRACE_MS).unref();
        }),
    ]);
    const port = (http.address() as AddressInfo).port;
    const housekeeping = setInterval(() => {
      sweepAbortedUploads(database.db, new Date(), { receiving })
        .then((swept) => swept.reports && log.warn({ count: swept.reports, chunks: swept.chunks }, 'marked uploads that stopped arriving as aborted'))
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not sweep aborted uploads'));
      if (dataDir) {
        try {
          makePrivate(dataDir);
        } catch (err) {
          log.error({ err: (err as Error).message }, 'could not keep DATA_DIR private');
        }
      }
    }, HOUSEKEEPING_MS);
    housekeeping.unref();
    cleanups.push(['housekeeping', () => clearInterval(housekeeping)]);
    if (slack) {
      // Slack being unreachable or refusing the token must not stop uploads: it retries on its own.
      cleanups.push(['slack', () => slack.stop()]);
      await Promise.race([slack.start(), new Promise((r) => setTimeout(r, SLACK_START_WAIT_MS).unref())]);
    } else {
      log.info('Slack is not configured (SLACK_BOT_TOKEN unset): summaries will be written to this log');
    }
    const jobs = scheduledJobs(config);
    const mailer = config.SMTP_URL && config.REPORT_EMAIL_TO ? smtpMailer(config.SMTP_URL, config.REPORT_EMAIL_FROM, config.REPORT_EMAIL_TO) : null;
    if (mailer) cleanups.push(['mailer', () => mailer.close()]);
    const notifier = slack
      ? slackIncidentNotifier(slack.client, config.SLACK_FAILURE_CHANNEL, config.SLACK_ESCALATION_GROUP)
      : logIncidentNotifier(log);
    const scheduler = createScheduler({
      db: database.db,
      log,
      publisher: slack
        ? withFleetPicture(
            slackPublisher(slack.client, (channel, ts, m, threadTs) => recordPosted(database.db, channel, ts, m, threadTs)),
            slack.client,
            () => fleetPicture(database.db, new Date(), config.TZ),
            log,
          )
        : logPublisher(log),
      afterMissedCheck: async (now) => {
        await escalate(database.db, now, config.ESCALATION_TARGET_THRESHOLD, notifier, log);
      },
      jobs: [
        ...Object.values(jobs),
        ...(mailer ? emailJobs(config, mailer, log, database.db) : []),
        ...(config.RETENTION_DAYS ? [pruneJob(database.db, config.RETENTION_DAYS, log)] : []),
      ],
      tz: config.TZ,
      catchupMs: config.CATCHUP_HOURS * 3600_000,
    });
    if (opts.schedule !== false) {
      scheduler.start();
      cleanups.push(['scheduler', () => scheduler.stop()]);
    }

    if (dataDir && opts.cliRunner) {
      const socket = join(dataDir, 'backupbot.sock');
      if (socket.length < 100) {
        const cli = await listenCliSocket(socket, opts.cliRunner(database));
        cli.unref();
        cleanups.push(['cli socket', () => new Promise<void>((ok) => cli.close(() => ok()))]);
        updateLock(dataDir, { pid: process.pid, socket });
      } else {
        log.warn({ socket }, 'DATA_DIR path is too long for a Unix socket; CLI commands will not work while serve runs');
      }
    }
    const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
    log.info({ port, database: database.kind, dataDir }, `backupbot listening on http://${host}:${port}`);
    return { database, http, slack, scheduler, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The limits the HTTP layer enforces, from the settings. */
export function uploadLimits(config: Config): UploadLimits {
  return {
    maxReportBytes: config.MAX_REPORT_BYTES,
    stallMs: config.UPLOAD_STALL_SECONDS * 1000,
    minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_SECOND,
    maxPerToken: config.UPLOAD_MAX_PER_TOKEN,
    keepAliveMs: config.HTTP_KEEPALIVE_SECONDS * 1000,
    skewMs: config.CLOCK_SKEW_MINUTES * 60_000,
    maxAgeMs: config.MAX_REPORT_AGE_DAYS * 86_400_000,
    retryWindowMs: config.RETRY_WINDOW_MINUTES * 60_000,
    idempotencyWindowMs: config.IDEMPOTENCY_KEY_HOURS * 3_600_000,
  };
}
