import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { PermanentSlackError, type Publisher } from '../slack/publish.ts';
import type { SlackMessage } from '../slack/views/blocks.ts';
import { claimRun, finishRun, getRun, recordProgress, savePayload, type JobRun } from './ledger.ts';
import { recordMissedBackups } from './missed.ts';
import { countJob } from '../metrics.ts';

export interface JobDef {
  name: string;
  cron: string;
  channel: string | undefined;
  build(db: Db, slot: Date): Promise<SlackMessage[]>;
  /** Whether a post missed while the service was down is still worth making late. */
  worthCatchingUp?(db: Db, slot: Date): Promise<boolean>;
  /**
   * A job that does not post to Slack (the emailed reports) delivers by itself, still claimed
   * in the ledger; `save` keeps what it built so a retry sends exactly that. An error with
   * `permanent: true` ends the run as failed; any other is retried once the lease runs out.
   */
  deliver?(run: JobRun, save: (payload: unknown) => Promise<void>): Promise<void>;
}

export interface SchedulerDeps {
  db: Db;
  log: Logger;
  publisher: Publisher;
  jobs: JobDef[];
  tz: string;
  /** How late a missed post may still be made (catch-up after downtime). */
  catchupMs: number;
  /** A claimed run whose owner has not reported progress for this long is taken over. */
  leaseMs?: number;
  /** How often the missed-backup check runs. */
  missedEveryMs?: number;
  owner?: string;
  /** Runs after the missed-backup check (TSR3 escalation). */
  afterMissedCheck?: (now: Date) => Promise<void>;
}

const MINUTE_MS = 60_000;

export interface Scheduler {
  /** Does whatever is due at `now`; the cron trigger calls it every minute, tests call it with a fake clock. */
  tick(now: Date): Promise<void>;
  /** Runs one job for one slot, exactly once across processes. */
  runSlot(job: JobDef, slot: Date): Promise<'posted' | 'skipped' | 'failed'>;
  start(): void;
  stop(): Promise<void>;
}

/** How long stop() waits for a running tick. */
const STOP_WAIT_MS = 2000;

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { db, log } = deps;
  const owner = deps.owner ?? `${hostname()}:${process.pid}`;
  const leaseMs = deps.leaseMs ?? 5 * MINUTE_MS;
  const missedEveryMs = deps.missedEveryMs ?? 15 * MINUTE_MS;
  const crons = new Map(deps.jobs.map((j) => [j.name, new Cron(j.cron, { timezone: deps.tz, paused: true })]));
  let lastMissedCheck = 0;
  let trigger: Cron | null = null;
  let running: Promise<void> = Promise.resolve();

  async function runSlot(job: JobDef, slot: Date): Promise<'posted' | 'skipped' | 'failed'> {
    const run = await claimRun(db, job.name, slot, owner, leaseMs);
    if (!run) return 'skipped';
    try {
      if (job.deliver) {
        await recordMissedBackups(db, slot);
        await job.deliver(run, (payload) => savePayload(db, job.name, slot, owner, payload));
        await finishRun(db, job.name, slot, owner);
        log.info({ job: job.name, slot, attempt: run.attempts }, 'scheduled delivery made');
        return 'posted';
      }
      let messages = run.payload as SlackMessage[] | null;
      if (!messages) {
        await recordMissedBackups(db, slot);
        messages = await job.build(db, slot);
        await savePayload(db, job.name, slot, owner, messages);
      }
      await deps.publisher.publish(job.channel, messages, run.progress, (p) => recordProgress(db, job.name, slot, owner, p));
      await finishRun(db, job.name, slot, owner);
      log.info({ job: job.name, slot, messages: messages.length, attempt: run.attempts }, 'scheduled post made');
      return 'posted';
    } catch (err) {
      if (err instanceof PermanentSlackError || (err as { permanent?: unknown }).permanent === true) {
        await finishRun(db, job.name, slot, owner, (err as Error).message);
        log.error({ job: job.name, slot, slackError: (err as { slackError?: string }).slackError }, (err as Error).message);
      } else {
        // Left "running": once the lease runs out, the next tick (here or on a replica) resumes it.
        log.warn({ job: job.name, slot, err }, 'scheduled post interrupted; it will be resumed');
      }
      return 'failed';
    }
  }

  async function tick(now: Date): Promise<void> {
    if (now.getTime() - lastMissedCheck >= missedEveryMs) {
      lastMissedCheck = now.getTime();
      const missed = await recordMissedBackups(db, now);
      if (missed.length) log.info({ count: missed.length }, 'recorded missed backups');
      await deps.afterMissedCheck?.(now);
    }
    for (const job of deps.jobs) {
      // The latest slot at or before now (croner looks strictly before its reference).
      const slot = crons.get(job.name)!.previousRuns(1, new Date(now.getTime() + 1000))[0];
      if (!slot || now.getTime() - slot.getTime() > Math.max(deps.catchupMs, 2 * MINUTE_MS)) continue;
      const existing = await getRun(db, job.name, slot);
      if (existing && existing.state !== 'running') continue;
      const late = now.getTime() - slot.getTime() > 2 * MINUTE_MS;
      // A fresh install must not open with an overdue report about a time it did not watch.
      if (late && !existing && job.worthCatchingUp && !(await job.worthCatchingUp(db, slot))) continue;
      countJob(job.name, await runSlot(job, slot), late);
    }
  }

  return {
    tick,
    runSlot,
    start() {
      const safeTick = () => {
        running = running.then(() => tick(new Date())).catch((err: unknown) => log.error({ err }, 'scheduler tick failed'));
      };
      trigger = new Cron('* * * * *', { timezone: deps.tz, protect: true }, safeTick);
      safeTick(); // catch up at start
    },
    async stop() {
      trigger?.stop();
      // A tick waiting on a database that does not answer must not hold up shutdown for long.
      await Promise.race([running, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    },
  };
}
