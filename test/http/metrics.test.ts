import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/rsync', `${name}.log`));

const ENV = {
  TZ: 'UTC',
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: 'metrics-test-secret',
  SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
  SLACK_FAILURE_CHANNEL: 'C_FAILURES',
  NIGHTLY_CRON: '0 7 * * *',
};

/** One sample's value from Prometheus text, 0 when the series does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// Counters live for the whole process (as Prometheus expects), so each check compares a
// scrape after the action with one before it.
describe.each(DATABASES)('GET /metrics on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;
  let token: string;

  const scrape = async () => {
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  const upload = (body: Buffer, auth = token) =>
    fetch(`${svc.url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'x-exit-code': '0' }, body });

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    svc = await startTestService(t.database, { ...ENV, SLACK_API_URL: slack.url });
    token = (await seedServer(t.database, 'Metrics Customer', 'metrics-fs01')).token;
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  it('counts uploads by answer and verdicts by status and tool, and times parsing and requests', async () => {
    const before = await scrape();
    expect((await upload(fixture('ok-stats'))).status).toBe(201);
    expect((await upload(fixture('code23-missing-source'))).status).toBe(201);
    expect((await upload(fixture('ok-stats'), 'not-a-token')).status).toBe(401);
    const after = await scrape();
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('backupbot_uploads_total{status="201"}')).toBe(2);
    expect(delta('backupbot_uploads_total{status="401"}')).toBe(1);
    expect(delta('backupbot_verdicts_total{status="ok",tool="rsync"}')).toBe(1);
    expect(delta('backupbot_verdicts_total{status="failed",tool="rsync"}')).toBe(1);
    expect(delta('backupbot_parse_seconds_count{tool="rsync"}')).toBe(2);
    expect(delta('backupbot_http_request_seconds_count{route="upload",method="POST"}')).toBe(3);
    expect(sample(after, 'backupbot_db_up')).toBe(1);
    expect(sample(after, 'backupbot_uploads_in_progress')).toBe(0);
    // The process defaults come along.
    expect(after).toContain('process_cpu_user_seconds_total');
    expect(after).toContain('nodejs_eventloop_lag_seconds');
    // No label carries a server or customer name.
    expect(after).not.toContain('metrics-fs01');
    expect(after).not.toContain('Metrics Customer');
  });

  it('counts Slack calls and errors by method, and scheduled jobs run and failed', async () => {
    const before = await scrape();
    const slot = new Date();
    slot.setUTCHours(7, 0, 0, 0);
    // A day this test has not posted yet on this database.
    const now = new Date(slot.getTime() + 30_000);
    await svc.scheduler.tick(now);
    const mid = await scrape();
    const delta = (a: string, b: string, series: string) => sample(b, series) - sample(a, series);
    expect(slack.callsTo('chat.postMessage').length).toBeGreaterThan(0);
    expect(delta(before, mid, 'backupbot_slack_calls_total{method="chat.postMessage"}')).toBe(slack.callsTo('chat.postMessage').length);
    expect(delta(before, mid, 'backupbot_jobs_total{job="nightly",outcome="posted"}')).toBe(1);

    // The next day's post is refused for good by Slack: an error and a failed job.
    slack.failNext('chat.postMessage', { error: 'channel_not_found' }, 100);
    await svc.scheduler.tick(new Date(now.getTime() + 86_400_000));
    const after = await scrape();
    expect(delta(mid, after, 'backupbot_slack_errors_total{method="chat.postMessage",error="channel_not_found"}')).toBeGreaterThanOrEqual(1);
    expect(delta(mid, after, 'backupbot_jobs_total{job="nightly",outcome="failed"}')).toBe(1);
  });
});
