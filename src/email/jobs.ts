import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { buildFailureDigest } from '../reports/digest.ts';
import { buildNightlySummary } from '../reports/summary.ts';
import { fleetExistedAt } from '../schedule/jobs.ts';
import type { JobDef } from '../schedule/scheduler.ts';
import { digestMessages } from '../slack/views/digest.ts';
import { nightlyMessages } from '../slack/views/nightly.ts';
import { when } from '../slack/views/format.ts';
import { publicBase } from '../web/auth.ts';
import { digestPage, nightlyPage } from '../web/views/reports.ts';
import { EmailError, type Email, type Mailer } from './mailer.ts';
import { emailHtml, emailText } from './views.ts';

/** After this many attempts a slot's email is given up (the error stays in the ledger). */
const MAX_ATTEMPTS = 12;

/**
 * The emailed nightly report and failure digest: their own job names in the ledger
 * ("nightly-email", "digest-email"), on the same schedules as the Slack posts, so each is
 * sent once per slot across replicas and restarts. The email is built once and saved with
 * the claim, so a retry sends the same message.
 */
export function emailJobs(config: Config, mailer: Mailer, log: Logger, db: Db): JobDef[] {
  const base = publicBase(config.PUBLIC_URL, config.PORT);
  const job = (name: string, cron: string, build: (slot: Date) => Promise<Email>): JobDef => ({
    name,
    cron,
    channel: undefined,
    // Never called: `deliver` replaces the Slack build-and-post path for this job.
    build: () => Promise.resolve([]),
    // Like the Slack posts: a fresh install does not open with an overdue email.
    worthCatchingUp: fleetExistedAt,
    async deliver(run, save) {
      let email = run.payload as Email | null;
      if (!email) {
        email = await build(run.scheduledAt);
        await save(email);
      }
      try {
        await mailer.send(email);
      } catch (err) {
        const e = err instanceof EmailError ? err : new EmailError(`Sending the report email failed (${(err as Error).message}); will retry.`, false);
        const giveUp = !e.permanent && run.attempts >= MAX_ATTEMPTS;
        log.error({ job: name, slot: run.scheduledAt, attempt: run.attempts, permanent: e.permanent || giveUp }, e.message);
        throw giveUp ? new EmailError(`${e.message} Gave up after ${run.attempts} attempts.`, true) : e;
      }
    },
  });
  return [
    job('nightly-email', config.NIGHTLY_CRON, async (slot) => {
      const s = await buildNightlySummary(db, slot);
      const problems = s.counts.failed + s.counts.incomplete + s.counts.missing;
      return {
        subject: `Nightly backup report · ${when(slot, config.TZ)} · ${problems ? `${problems} need attention` : s.servers ? 'all due backups completed' : 'no servers yet'}`,
        html: emailHtml(nightlyPage(s, config.TZ), base),
        text: emailText(nightlyMessages(s, config.TZ), [
          ['This report in the browser', `${base}/reports/nightly`],
          ['History heatmap', `${base}/reports/history`],
        ]),
      };
    }),
    job('digest-email', config.DIGEST_CRON, async (slot) => {
      const d = await buildFailureDigest(db, slot, config.DIGEST_DAYS, config.TZ);
      return {
        subject: `Servers failing ${config.DIGEST_DAYS}+ days · ${when(slot, config.TZ)} · ${d.rows.length}`,
        html: emailHtml(digestPage(d, config.TZ), base),
        text: emailText(digestMessages(d, config.TZ), [
          ['This report in the browser', `${base}/reports/digest`],
          ['History heatmap', `${base}/reports/history`],
        ]),
      };
    }),
  ];
}
