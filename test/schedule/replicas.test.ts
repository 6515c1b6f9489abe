import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, jobRuns } from '../../src/db/schema.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { seedFleet } from '../helpers/fleet.ts';
import { freePort, startServe, waitExit } from '../helpers/process.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

describe('two bot processes sharing one Postgres', () => {
  let t: TestDb;
  let slack: SlackStandIn;
  beforeAll(async () => {
    t = await postgresDb();
    slack = await startSlackStandIn();
    await seedFleet(t.database.db, { servers: 60, failing: 15, now: new Date() });
  });
  afterAll(async () => {
    await slack?.close();
    await t?.dispose();
  });

  it('post each scheduled summary exactly once', async () => {
    const env = {
      DATABASE_URL: t.url!,
      LOG_LEVEL: 'warn',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
      SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
      SLACK_FAILURE_CHANNEL: 'C_FAILURES',
      // Both slots lie in the past and inside the catch-up window, so both processes
      // race for them the moment they start.
      NIGHTLY_CRON: '0 0 * * *',
      DIGEST_CRON: '0 0 * * *',
      CATCHUP_HOURS: '24',
      TZ: 'UTC',
    };
    const [a, b] = await Promise.all([freePort(), freePort()]);
    const procs = await Promise.all([startServe(env, a), startServe(env, b)]);
    try {
      const deadline = Date.now() + 30_000;
      let done: Array<typeof jobRuns.$inferSelect> = [];
      while (Date.now() < deadline) {
        done = await t.database.db.select().from(jobRuns).where(eq(jobRuns.state, 'done'));
        if (done.length >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1500)); // room for a (wrong) second post to arrive
      expect(done.map((r) => r.job).sort()).toEqual(['digest', 'nightly']);
      const posted = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.body.channel === channel);
      const payload = (job: string) => (done.find((r) => r.job === job)!.payload as unknown[]).length;
      for (const [channel, title] of [
        ['C_SUMMARY', 'Nightly backup report'],
        ['C_FAILURES', 'Servers failing'],
      ] as const) {
        expect(posted(channel).filter((c) => String(c.body.text).startsWith(title))).toHaveLength(1);
      }
      // TSR3 escalations (one ping plus one thread reply per incident) are claimed the same way.
      const incidentRows = await t.database.db.select().from(incidents);
      const pings = posted('C_FAILURES').filter((c) => String(c.body.text).includes(':rotating_light:'));
      expect(pings).toHaveLength(incidentRows.length);
      expect(posted('C_SUMMARY')).toHaveLength(payload('nightly'));
      expect(posted('C_FAILURES')).toHaveLength(payload('digest') + 2 * incidentRows.length);
      expect(slack.rejections).toEqual([]);
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map(waitExit));
    }
  }, 90_000);
});
