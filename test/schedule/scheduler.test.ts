import { WebClient } from '@slack/web-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { jobRuns, results, servers } from '../../src/db/schema.ts';
import { createLogger } from '../../src/log.ts';
import { scheduledJobs } from '../../src/schedule/jobs.ts';
import { recordMissedBackups } from '../../src/schedule/missed.ts';
import { createScheduler, type SchedulerDeps } from '../../src/schedule/scheduler.ts';
import { slackPublisher, type Publisher } from '../../src/slack/publish.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedFleet } from '../helpers/fleet.ts';
import { seedServer } from '../helpers/service.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

const TOKEN = 'xoxb-test-token';
const at = (iso: string) => new Date(iso);

describe.each(DATABASES)('scheduler on %s (fake clock)', (_kind, open) => {
  let t: TestDb;
  let slack: SlackStandIn;
  const config = () =>
    loadConfig({ NIGHTLY_CRON: '0 7 * * *', DIGEST_CRON: '0 8 * * *', TZ: 'UTC', SLACK_SUMMARY_CHANNEL: 'C_SUMMARY', SLACK_FAILURE_CHANNEL: 'C_FAILURES' });
  const client = (retries = 2) => new WebClient(TOKEN, { slackApiUrl: slack.url, retryConfig: { retries, minTimeout: 0, maxTimeout: 0, factor: 1 } });
  const scheduler = (over: Partial<SchedulerDeps> = {}) =>
    createScheduler({
      db: t.database.db,
      log: createLogger('silent'),
      publisher: slackPublisher(client()),
      jobs: Object.values(scheduledJobs(config())),
      tz: 'UTC',
      catchupMs: 12 * 3600_000,
      ...over,
    });
  const posts = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.body.channel === channel);

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    await seedFleet(t.database.db, { servers: 1000, failing: 800, now: at('2026-11-23T06:00:00Z') });
  });
  afterAll(async () => {
    await slack?.close();
    await t?.dispose();
  });
  beforeEach(async () => {
    slack.reset();
    await t.database.db.delete(jobRuns);
  });

  it('posts the nightly at its time, once, across repeated ticks and a restart', async () => {
    const first = scheduler();
    await first.tick(at('2026-11-23T06:59:30Z'));
    expect(posts('C_SUMMARY')).toHaveLength(0);
    await first.tick(at('2026-11-23T07:00:05Z'));
    const made = posts('C_SUMMARY').length;
    expect(made).toBeGreaterThan(1); // 800 failures do not fit in one message
    await first.tick(at('2026-11-23T07:01:00Z'));
    await scheduler().tick(at('2026-11-23T07:02:00Z')); // a restarted process
    expect(posts('C_SUMMARY')).toHaveLength(made);
    const [parent, ...replies] = posts('C_SUMMARY');
    expect(parent!.body.thread_ts).toBeUndefined();
    const parentTs = slack.calls.length > 0 ? replies[0]!.body.thread_ts : undefined;
    for (const r of replies) expect(r.body.thread_ts).toBe(parentTs);
    expect(slack.rejections).toEqual([]);
  });

  it('catches up a post missed while down, within the window only', async () => {
    await scheduler({ catchupMs: 3600_000 }).tick(at('2026-11-23T10:00:00Z'));
    expect(posts('C_SUMMARY')).toHaveLength(0);
    await scheduler({ catchupMs: 12 * 3600_000 }).tick(at('2026-11-23T10:00:00Z'));
    expect(posts('C_SUMMARY').length).toBeGreaterThan(0);
    expect(posts('C_FAILURES').length).toBeGreaterThan(0);
    const runs = await t.database.db.select().from(jobRuns);
    expect(runs.map((r) => [r.job, r.scheduledAt.toISOString(), r.state]).sort()).toEqual([
      ['digest', '2026-11-23T08:00:00.000Z', 'done'],
      ['nightly', '2026-11-23T07:00:00.000Z', 'done'],
    ]);
  });

  it('resumes a post cut off half-way without repeating what was posted', async () => {
    // The first attempt dies after its first message (Slack answers 500, no retries left).
    const real = slackPublisher(client(0));
    const dying: Publisher = {
      kind: 'slack',
      publish: (channel, messages, progress, onPosted) =>
        real.publish(channel, messages, progress, async (p) => {
          const ok = await onPosted(p);
          if (p.posted === 1) slack.failNext('chat.postMessage', { status: 500 });
          return ok;
        }),
    };
    const nightlyOnly = [scheduledJobs(config()).nightly];
    expect(await scheduler({ publisher: dying, jobs: nightlyOnly }).runSlot(nightlyOnly[0]!, at('2026-11-23T07:00:00Z'))).toBe('failed');
    const [run] = await t.database.db.select().from(jobRuns);
    expect(run).toMatchObject({ state: 'running', progress: { posted: 1 } });

    // Another process takes over once the lease has run out, and finishes the thread.
    expect(await scheduler({ leaseMs: 0, jobs: nightlyOnly }).runSlot(nightlyOnly[0]!, at('2026-11-23T07:00:00Z'))).toBe('posted');
    const ok = posts('C_SUMMARY').filter((_, i) => i !== 1); // the second call was the 500
    const total = (run!.payload as unknown[]).length;
    expect(ok).toHaveLength(total);
    expect(ok.filter((c) => c.body.thread_ts === undefined)).toHaveLength(1);
  });

  it('retries a 429 after Retry-After, and gives up on a permanent error with what to fix', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const nightly = scheduledJobs(config()).nightly;
    expect(await scheduler().runSlot(nightly, at('2026-11-24T07:00:00Z'))).toBe('posted');
    expect(slack.rejections).toEqual([]);

    const lost = { ...nightly, channel: 'C_DOES_NOT_EXIST' };
    expect(await scheduler().runSlot(lost, at('2026-11-25T07:00:00Z'))).toBe('failed');
    const [row] = await t.database.db.select().from(jobRuns).where(eq(jobRuns.scheduledAt, at('2026-11-25T07:00:00Z')));
    expect(row).toMatchObject({ state: 'failed' });
    expect(row!.error).toMatch(/channel_not_found.*SLACK_\*_CHANNEL/);
    expect(await scheduler().runSlot(lost, at('2026-11-25T07:00:00Z'))).toBe('skipped');
  }, 20_000);
});

describe.each(DATABASES)('missed backups on %s', (_kind, open) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(() => t?.dispose());

  it('records one "missing" result per missed slot, and none before the grace runs out', async () => {
    const { db } = t.database;
    const { server } = await seedServer(t.database, 'Acorn', 'fs-late');
    // Pretend the server has existed for a week; its backup is due 22:00 UTC with 4 h grace.
    await db.update(servers).set({ createdAt: at('2026-11-16T00:00:00Z'), graceMinutes: 240 }).where(eq(servers.id, server.id));

    expect(await recordMissedBackups(db, at('2026-11-23T01:59:00Z'))).toEqual([
      // 01:59 is still within the grace of the 22nd's slot, so the 21st's slot is the one due.
      { serverId: server.id, slot: at('2026-11-21T22:00:00.000Z') },
    ]);
    const missed = await recordMissedBackups(db, at('2026-11-23T02:05:00Z'));
    expect(missed).toEqual([{ serverId: server.id, slot: at('2026-11-22T22:00:00.000Z') }]);
    expect(await recordMissedBackups(db, at('2026-11-23T03:00:00Z'))).toEqual([]);
    const rows = await db.select().from(results).where(eq(results.serverId, server.id));
    expect(rows.map((r) => [r.status, r.code])).toEqual([
      ['missing', -2],
      ['missing', -2],
    ]);
  });

  it('does not call a server missing when its report arrived, or before it existed', async () => {
    const { db } = t.database;
    const { server } = await seedServer(t.database, 'Acorn', 'fs-new');
    // Created just now: no slot of its schedule has passed since.
    expect((await recordMissedBackups(db, new Date())).filter((m) => m.serverId === server.id)).toEqual([]);
  });
});

describe.each(DATABASES)('a fresh install on %s', (_kind, open) => {
  let t: TestDb;
  let slack: SlackStandIn;
  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
  });
  afterAll(async () => {
    await slack?.close();
    await t?.dispose();
  });

  it('sends no overdue catch-up about a time it did not watch, and never an all-clear for an empty fleet', async () => {
    const config = loadConfig({ NIGHTLY_CRON: '0 7 * * *', DIGEST_CRON: '0 8 * * *', TZ: 'UTC', SLACK_SUMMARY_CHANNEL: 'C_SUMMARY', SLACK_FAILURE_CHANNEL: 'C_FAILURES' });
    const scheduler = createScheduler({
      db: t.database.db,
      log: createLogger('silent'),
      publisher: slackPublisher(new WebClient(TOKEN, { slackApiUrl: slack.url })),
      jobs: Object.values(scheduledJobs(config)),
      tz: 'UTC',
      catchupMs: 12 * 3600_000,
    });
    // Installed at 10:00, three hours after the 07:00 nightly: nothing to catch up on.
    await scheduler.tick(at('2026-11-23T10:00:00Z'));
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    // A server added at 11:00 does not make the 07:00 or 08:00 posts worth making late either.
    await seedServer(t.database, 'Acorn', 'fs-first');
    await t.database.db.update(servers).set({ createdAt: at('2026-11-23T11:00:00Z') });
    await scheduler.tick(at('2026-11-23T11:30:00Z'));
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    // The next nightly on time is made; a server added just before it is waiting, and claims nothing.
    await t.database.db.update(servers).set({ createdAt: at('2026-11-24T06:00:00Z') });
    await scheduler.tick(at('2026-11-24T07:00:10Z'));
    const [nightly] = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_SUMMARY');
    const text = JSON.stringify(nightly!.body.blocks);
    expect(text).toMatch(/waiting for a first report/);
    expect(text).toMatch(/No backup was due yet/);
    expect(text).not.toMatch(/Every backup/);
  });
});
