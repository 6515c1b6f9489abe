import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { seedFleet } from '../helpers/fleet.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

describe('backupbot run nightly for 5,000 servers with 800 failures', () => {
  let t: TestDb;
  let slack: SlackStandIn;
  let failingNames: string[];
  beforeAll(async () => {
    t = await postgresDb();
    slack = await startSlackStandIn();
    ({ failingNames } = await seedFleet(t.database.db, { servers: 5000, failing: 800, now: new Date(), hostilePath: '/share/<!channel> <@U123>.pst' }));
  }, 120_000);
  afterAll(async () => {
    await slack?.close();
    await t?.dispose();
  });

  const run = async (args: string[], env: Record<string, string>) => {
    let out = '';
    let err = '';
    const code = await main(args, { env, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
    return { code, out, err };
  };

  it('posts every failing server, threaded, with every message accepted and nothing pinged', async () => {
    const r = await run(['run', 'nightly'], {
      DATABASE_URL: t.url!,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
      SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const posts = slack.callsTo('chat.postMessage');
    expect(r.out).toContain(`Posted the nightly (${posts.length} messages) to C_SUMMARY.`);
    expect(slack.rejections).toEqual([]);
    expect(posts.length).toBeGreaterThan(1);
    const parentTs = posts.filter((p) => p.body.thread_ts === undefined);
    expect(parentTs).toHaveLength(1);
    const all = posts.map((p) => JSON.stringify(p.body.blocks)).join('\n');
    for (const name of failingNames) expect(all).toContain(`\`${name}\``);
    expect(all).toContain('*800* failed');
    expect(all).toContain('*4200* ok');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toMatch(/<[!@]/);
  }, 120_000);

  it('prints the same summary as text when no Slack workspace is set up', async () => {
    const r = await run(['run', 'nightly'], { DATABASE_URL: t.url! });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/== Nightly backup report/);
    expect(r.out).toContain('<!channel>'); // plain text for a terminal: nothing to escape there
    expect(r.out.match(/srv\d{5}/g)?.length).toBeGreaterThanOrEqual(800);
  }, 120_000);

  it('explains a permanent Slack error and exits non-zero', async () => {
    const r = await run(['run', 'digest'], {
      DATABASE_URL: t.url!,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
      SLACK_FAILURE_CHANNEL: 'C_NOPE',
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/channel_not_found.*SLACK_\*_CHANNEL/);
  }, 60_000);
});
