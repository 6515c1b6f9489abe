import type { Config } from '../config.ts';
import { buildFailureDigest } from '../reports/digest.ts';
import { buildNightlySummary } from '../reports/summary.ts';
import { digestMessages } from '../slack/views/digest.ts';
import { nightlyMessages } from '../slack/views/nightly.ts';
import type { JobDef } from './scheduler.ts';

export const JOB_NAMES = ['nightly', 'digest'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** The scheduled posts, from config: what to build, when, and where it goes. */
export function scheduledJobs(config: Config): Record<JobName, JobDef> {
  return {
    nightly: {
      name: 'nightly',
      cron: config.NIGHTLY_CRON,
      channel: config.SLACK_SUMMARY_CHANNEL,
      build: async (db, slot) => nightlyMessages(await buildNightlySummary(db, slot), config.TZ),
    },
    digest: {
      name: 'digest',
      cron: config.DIGEST_CRON,
      channel: config.SLACK_FAILURE_CHANNEL,
      build: async (db, slot) => digestMessages(await buildFailureDigest(db, slot, config.DIGEST_DAYS, config.TZ), config.TZ),
    },
  };
}
