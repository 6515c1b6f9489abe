import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, jobRuns, reports, results } from '../../src/db/schema.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { seedFleet } from '../helpers/fleet.ts';
import { freePort, startServe, waitExit } from '../helpers/process.ts';
import { seedServer } from '../helpers/service.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

const LOG = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-missing-source.log'));

/** POSTs a report; each body ends with its own marker line so no two look like retries. */
async function upload(port: number, token: string, n: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-exit-code': '23' },
    body: Buffer.concat([Buffer.from(`upload ${n}\n`), LOG]),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Starts an upload, sends half the body, and returns a function that sends the rest and resolves with the answer. */
function slowUpload(port: number, token: string): Promise<() => Promise<number>> {
  return new Promise((ready, fail) => {
    const body = Buffer.concat([Buffer.from('slow upload\n'), LOG]);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/reports', headers: { authorization: `Bearer ${token}`, 'x-exit-code': '23', 'content-length': String(body.length) } });
    const answered = new Promise<number>((ok, no) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      });
      req.on('error', no);
    });
    req.on('error', fail);
    req.write(body.subarray(0, 100), () => ready(() => (req.end(body.subarray(100)), answered)));
  });
}

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

  it('post each scheduled summary exactly once, store every upload sent to either, and finish uploads in flight at SIGTERM', async () => {
    const { token } = await seedServer(t.database, 'Replica Co', 'replica-fs01');
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
      // The retention job's nightly slot lies in the past too: exactly one replica may run it.
      RETENTION_DAYS: '400',
    };
    const [a, b] = await Promise.all([freePort(), freePort()]);
    const procs = await Promise.all([startServe(env, a), startServe(env, b)]);
    try {
      const deadline = Date.now() + 30_000;
      let done: Array<typeof jobRuns.$inferSelect> = [];
      while (Date.now() < deadline) {
        done = await t.database.db.select().from(jobRuns).where(eq(jobRuns.state, 'done'));
        if (done.length >= 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1500)); // room for a (wrong) second post to arrive
      expect(done.map((r) => r.job).sort()).toEqual(['digest', 'nightly', 'prune']);
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

      // A load balancer spreads uploads over both replicas: every one is answered 201 and stored once.
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => upload(i % 2 ? b : a, token, i)));
      expect(answers).toEqual(Array(40).fill(201));
      const serverReports = async () => (await t.database.db.select({ n: count() }).from(reports).innerJoin(results, eq(results.reportId, reports.id)))[0]!.n;
      const stored = await serverReports();
      expect(stored).toBeGreaterThanOrEqual(40);

      // SIGTERM while an upload is half sent: the replica stops taking new work but finishes it.
      const finish = await slowUpload(b, token);
      procs[1]!.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(await finish()).toBe(201);
      await waitExit(procs[1]!);
      expect(procs[1]!.exitCode).toBe(0);
      expect(await serverReports()).toBe(stored + 1);
      // The other replica goes on taking uploads.
      expect(await upload(a, token, 99)).toBe(201);
    } finally {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.map(waitExit));
    }
  }, 90_000);
});
