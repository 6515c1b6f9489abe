import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Service } from '../../src/main.ts';
import { scheduledJobs } from '../../src/schedule/jobs.ts';
import { getRun } from '../../src/schedule/ledger.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';
import { seedWebFleet } from './fixtures.ts';

const SHOTS = join(import.meta.dirname, '../../test-output/screenshots');
const ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: 'test-signing-secret',
  SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
  SLACK_FAILURE_CHANNEL: 'C_FAILURES',
  PUBLIC_URL: 'https://backupbot.example.net',
};

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe.each(DATABASES)('nightly post with links and a fleet picture on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    svc = await startTestService(t.database, { ...ENV, SLACK_API_URL: slack.url });
    await seedWebFleet(t.database, svc.url);
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  it('links the pages on PUBLIC_URL and puts a PNG of the last 30 days in the thread, once', async () => {
    const nightly = scheduledJobs(loadConfig({ ...ENV, SLACK_API_URL: slack.url })).nightly;
    const slot = new Date();
    expect(await svc.scheduler.runSlot(nightly, slot)).toBe('posted');
    const posts = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_SUMMARY');
    expect(posts.length).toBeGreaterThan(0);
    const first = JSON.stringify(posts[0]!.body.blocks);
    expect(first).toContain('<https://backupbot.example.net/reports/nightly|');
    expect(first).toContain('<https://backupbot.example.net/reports/history|');

    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    const done = slack.callsTo('files.completeUploadExternal');
    expect(done).toHaveLength(1);
    expect(done[0]!.body.channel_id).toBe('C_SUMMARY');
    const threadTs = done[0]!.body.thread_ts;
    expect(typeof threadTs).toBe('string');
    // The thread is the summary's own first message, and the ledger remembers the picture was sent.
    const run = await getRun(t.database.db, 'nightly', slot);
    expect(run?.progress).toMatchObject({ threadTs, picture: true });
    const uploaded = done[0]!.body.uploaded as Array<{ filename: string; base64: string }>;
    expect(uploaded[0]!.filename).toMatch(/^backups-\d{4}-\d{2}-\d{2}\.png$/);
    const png = Buffer.from(uploaded[0]!.base64, 'base64');
    expect(pngSize(png)).toEqual({ width: 900, height: 420 });
    expect(png.length).toBeGreaterThan(2000);
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, `slack-fleet-30-days-${_kind}.png`), png);
    expect(slack.rejections).toEqual([]);

    // The same slot again (a restart, a second replica): no second post, no second picture.
    expect(await svc.scheduler.runSlot(nightly, slot)).toBe('skipped');
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('links the digest to its page too, without a picture', async () => {
    const digest = scheduledJobs(loadConfig({ ...ENV, SLACK_API_URL: slack.url })).digest;
    expect(await svc.scheduler.runSlot(digest, new Date(Date.now() + 1000))).toBe('posted');
    const post = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_FAILURES')[0]!;
    expect(JSON.stringify(post.body.blocks)).toContain('<https://backupbot.example.net/reports/digest|');
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });
});
