import { WebClient } from '@slack/web-api';
import { AppError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { JOB_NAMES, scheduledJobs, type JobName } from '../schedule/jobs.ts';
import { recordMissedBackups } from '../schedule/missed.ts';
import { recordPosted } from '../slack/messages.ts';
import { logPublisher, slackPublisher } from '../slack/publish.ts';
import type { CliContext } from './context.ts';

/** backupbot run nightly|digest: build now and post (or print, without Slack). */
export async function runCommand(ctx: CliContext, name: string): Promise<void> {
  if (!(JOB_NAMES as readonly string[]).includes(name)) {
    throw new AppError('usage', `Unknown job "${name}": use one of ${JOB_NAMES.join(', ')}.`);
  }
  const config = ctx.config();
  const job = scheduledJobs(config)[name as JobName];
  const now = new Date();
  const { messages, publisher } = await ctx.withDb(async (db) => {
    await recordMissedBackups(db, now);
    const built = await job.build(db, now);
    const pub = config.SLACK_BOT_TOKEN
      ? slackPublisher(new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL }), (channel, ts, m, threadTs) => recordPosted(db, channel, ts, m, threadTs))
      : logPublisher(createLogger('silent'), (t) => ctx.io.out(t));
    await pub.publish(job.channel, built, { posted: 0 }, async () => true);
    return { messages: built, publisher: pub };
  });
  if (publisher.kind === 'slack') ctx.io.out(`Posted the ${name} (${messages.length} message${messages.length === 1 ? '' : 's'}) to ${job.channel}.\n`);
}
