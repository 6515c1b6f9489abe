import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { servers } from '../../src/db/schema.ts';
import { addCustomer } from '../../src/fleet/customers.ts';
import { addServer } from '../../src/fleet/servers.ts';
import { ingestReport } from '../../src/reports/ingest.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

const ROOT = join(import.meta.dirname, '../fixtures');

/** One failing server per tool, each fed a real (or, for TSM, documented-format) log. */
const FLEET = [
  { name: 'rs01', tool: 'rsync', log: 'code23-unreadable-file', label: 'rsync 23', meaning: 'Partial transfer due to error' },
  { name: 'tsm01', tool: 'tsm', log: 'sched-rc12-denied-in-use', label: 'TSM 12', meaning: 'Completed with errors' },
  { name: 'rst01', tool: 'restic', log: 'code3-unreadable', label: 'restic 3', meaning: 'Snapshot saved, but some source files could not be read' },
  { name: 'brg01', tool: 'borg', log: 'rc2-wrong-passphrase', label: 'borg 2', meaning: 'Error: the archive was not saved' },
] as const;

describe('a mixed fleet (rsync, TSM, restic, borg) in one nightly and one digest', () => {
  let t: TestDb;
  let slack: SlackStandIn;
  beforeAll(async () => {
    t = await postgresDb();
    slack = await startSlackStandIn();
    const db = t.database.db;
    await addCustomer(db, 'Mixed GmbH');
    for (const s of FLEET) {
      const { server } = await addServer(db, { customer: 'Mixed GmbH', name: s.name, targetHost: 'custbak9' });
      // Failing for ten days, so the digest (3+ days without a good backup) lists it.
      await db.update(servers).set({ createdAt: new Date(Date.now() - 10 * 86400_000) }).where(eq(servers.id, server.id));
      const body = readFileSync(join(ROOT, s.tool, `${s.log}.log`));
      await ingestReport(db, { id: server.id, customerId: server.customerId }, Readable.from([body]), { format: 'auto', exitCode: null, startedAt: null, finishedAt: new Date(Date.now() - 3600_000) }, 1 << 20);
    }
  }, 120_000);
  afterAll(async () => {
    await slack?.close();
    await t?.dispose();
  });

  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const env = {
      DATABASE_URL: t.url!,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
      SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
      SLACK_FAILURE_CHANNEL: 'C_FAILURES',
    };
    const code = await main(args, { env, io: { out: (s) => (out += s), err: (s) => (err += s), stdin: Readable.from([]) } });
    return { code, out, err };
  };

  it('shows every server with its tool, code, meaning and the tool\'s own advice', async () => {
    const nightly = await run(['run', 'nightly']);
    expect(nightly.err).toBe('');
    expect(nightly.code).toBe(0);
    const digest = await run(['run', 'digest']);
    expect(digest.err).toBe('');
    expect(digest.code).toBe(0);
    const posts = slack.callsTo('chat.postMessage');
    const inChannel = (c: string) => posts.filter((p) => p.body.channel === c).map((p) => JSON.stringify(p.body.blocks)).join('\n');
    const night = inChannel('C_SUMMARY');
    const dig = inChannel('C_FAILURES');
    expect(night).toContain('*4* failed');
    for (const s of FLEET) {
      expect(night).toContain(`\`${s.name}\``);
      expect(night).toContain(`${s.label}: ${s.meaning}`);
      expect(dig).toContain(`\`${s.name}\``);
      expect(dig).toContain(`now ${s.label}: ${s.meaning}`);
    }
    // Each tool's own advice, not rsync's.
    expect(night).toMatch(/dsmc logged errors \(ANSnnnnE\)/);
    expect(night).toMatch(/BORG_PASSPHRASE/);
    expect(slack.rejections).toEqual([]);
  }, 120_000);

  it('lists the fleet in the CLI with each code labelled by its tool', async () => {
    const r = await run(['status']);
    expect(r.code).toBe(0);
    for (const s of FLEET) expect(r.out).toMatch(new RegExp(`${s.name}.*${s.label}`));
  }, 60_000);
});
