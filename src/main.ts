import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { listenCliSocket, type CliRunner } from './cli/socket.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { acquireLock, updateLock } from './db/lock.ts';
import { AppError } from './errors.ts';
import { createHttpServer } from './http/server.ts';
import { recoverPending } from './reports/recover.ts';
import { scheduledJobs } from './schedule/jobs.ts';
import { createScheduler, type Scheduler } from './schedule/scheduler.ts';
import { createSlackApp, type SlackApp } from './slack/app.ts';
import { logPublisher, slackPublisher } from './slack/publish.ts';
import { escalate } from './escalation/escalate.ts';
import { logIncidentNotifier, slackIncidentNotifier } from './slack/escalation.ts';
import { recordPosted } from './slack/messages.ts';

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

/** Composition root: config -> database -> recovery -> HTTP (+ CLI socket). */
export async function startService(config: Config, log: Logger, opts: StartOptions = {}): Promise<Service> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    let dataDir: string | undefined;
    if (!config.DATABASE_URL && !opts.database) {
      dataDir = resolve(config.DATA_DIR);
      const lock = acquireLock(dataDir, { pid: process.pid });
      if (!lock.ok) {
        throw new AppError('database_busy', `Another backupbot (pid ${lock.holder.pid}) is already serving the embedded database in ${dataDir}; stop it first or set DATABASE_URL.`);
      }
      cleanups.push(lock.release);
    }
    const database = opts.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR }));
    if (!opts.database) cleanups.push(() => database.close());
    await database.migrate();
    await recoverPending(database.db, log);

    const slack = createSlackApp(config, { db: database.db, log });
    const http = createHttpServer({ database, log, maxReportBytes: config.MAX_REPORT_BYTES, slack: slack?.handler });
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(config.PORT, config.HOST, () => ok());
    });
    cleanups.push(
      () =>
        new Promise<void>((ok) => {
          http.close(() => ok());
          http.closeIdleConnections();
        }),
    );
    const port = (http.address() as AddressInfo).port;
    if (slack) {
      await slack.start();
      cleanups.push(() => slack.stop());
    } else {
      log.info('Slack is not configured (SLACK_BOT_TOKEN unset): summaries will be written to this log');
    }
    const jobs = scheduledJobs(config);
    const notifier = slack
      ? slackIncidentNotifier(slack.client, config.SLACK_FAILURE_CHANNEL, config.SLACK_ESCALATION_GROUP)
      : logIncidentNotifier(log);
    const scheduler = createScheduler({
      db: database.db,
      log,
      publisher: slack ? slackPublisher(slack.client, (channel, ts, m) => recordPosted(database.db, channel, ts, m)) : logPublisher(log),
      afterMissedCheck: async (now) => {
        await escalate(database.db, now, config.ESCALATION_TARGET_THRESHOLD, notifier, log);
      },
      jobs: Object.values(jobs),
      tz: config.TZ,
      catchupMs: config.CATCHUP_HOURS * 3600_000,
    });
    if (opts.schedule !== false) {
      scheduler.start();
      cleanups.push(() => scheduler.stop());
    }

    if (dataDir && opts.cliRunner) {
      const socket = join(dataDir, 'backupbot.sock');
      if (socket.length < 100) {
        const cli = await listenCliSocket(socket, opts.cliRunner(database));
        cleanups.push(() => new Promise<void>((ok) => cli.close(() => ok())));
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
