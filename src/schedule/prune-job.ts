import type { Logger } from 'pino';
import { pruneOld, retentionCutoff } from '../reports/retention.ts';
import type { Db } from '../db/client.ts';
import type { JobDef } from './scheduler.ts';

/** At night, away from the morning posts and most backups' uploads; in TZ like every job. */
export const PRUNE_CRON = '17 3 * * *';

/**
 * The nightly retention job, claimed in the job ledger like the posts: one replica prunes
 * each night's slot, and a run cut short is picked up again when its lease runs out (pruning
 * is safe to repeat). The cutoff is measured from the slot, not the clock, so a retry deletes
 * exactly what the first attempt meant to.
 */
export function pruneJob(db: Db, days: number, log: Logger): JobDef {
  return {
    name: 'prune',
    cron: PRUNE_CRON,
    channel: undefined,
    // Never called: `deliver` replaces the Slack build-and-post path.
    build: () => Promise.resolve([]),
    async deliver(run, save) {
      const cutoff = retentionCutoff(run.scheduledAt, days);
      const done = await pruneOld(db, cutoff);
      await save({ cutoff: cutoff.toISOString(), ...done });
      log.info({ cutoff, ...done }, 'retention: deleted raw logs and posted-message bookkeeping older than RETENTION_DAYS');
    },
  };
}
