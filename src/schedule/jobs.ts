import { lte } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { servers } from '../db/schema.ts';
import type { Config } from '../config.ts';
import { buildFailureDigest } from '../reports/digest.ts';
import { buildNightlySummary } from '../reports/summary.ts';
import { digestMessages } from '../slack/views/digest.ts';
import { nightlyMessages } from '../slack/views/nightly.ts';
import type { JobDef } from './scheduler.ts';
import { publicBase } from '../web/auth.ts';

export const JOB_NAMES = ['nightly', 'digest'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** Whether any server was being watched at `slot`: before that, a late report has nothing to say. */
export async function fleetExistedAt(db: Db, slot: Date): Promise<boolean> {
  const [row] = await db.select({ id: servers.id }).from(servers).where(lte(servers.createdAt, slot)).limit(1);
  return row !== undefined;
}

/** The scheduled posts, from config: what to build, when, and where it goes. */
export function scheduledJobs(config: Config): Record<JobName, JobDef> {
  return {
    nightly: {
      name: 'nightly',
      cron: config.NIGHTLY_CRON,
      channel: config.SLACK_SUMMARY_CHANNEL,
      build: async (db, slot) => nightlyMessages(await buildNightlySummary(db, slot), config.TZ, publicBase(config.PUBLIC_URL, config.PORT)),
      worthCatchingUp: fleetExistedAt,
    },
    digest: {
      name: 'digest',
      cron: config.DIGEST_CRON,
      channel: config.SLACK_FAILURE_CHANNEL,
      build: async (db, slot) => digestMessages(await buildFailureDigest(db, slot, config.DIGEST_DAYS, config.TZ), config.TZ, publicBase(config.PUBLIC_URL, config.PORT)),
      worthCatchingUp: fleetExistedAt,
    },
  };
}
