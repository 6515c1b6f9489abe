import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';

const SECRET = 'test-signing-secret';
const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-unreadable-file.log'));
const hostileLog = Buffer.from(
  'sending incremental file list\n' +
    'rsync: [sender] send_files failed to open "/srv/share/<!channel> and <@U123>.txt": Permission denied (13)\n\n' +
    'sent 1 bytes  received 2 bytes  3.00 bytes/sec\ntotal size is 4  speedup is 0.50\n' +
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]\n',
);

interface Reply {
  response_type: string;
  text: string;
  blocks: unknown[];
}

describe.each(DATABASES)('/backup over signed requests on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    svc = await startTestService(t.database, {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
    });
    const fs01 = await seedServer(t.database, 'Acorn Dental', 'fs01');
    const evil = await seedServer(t.database, 'Acorn Dental', 'fs02');
    for (const [token, body] of [
      [fs01.token, log],
      [evil.token, hostileLog],
    ] as const) {
      const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  async function command(text: string, secret = SECRET) {
    const body = slashCommandBody({ text, response_url: slack.responseUrl('cmd') });
    const started = Date.now();
    const res = await fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest(secret, body) });
    return { res, ms: Date.now() - started };
  }

  it('answers `/backup status fs01` within 3 s with its code, status and failing paths', async () => {
    const { res, ms } = await command('status fs01');
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(3000);
    const reply = (await res.json()) as Reply;
    expect(reply.response_type).toBe('ephemeral');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('*failed*');
    expect(text).toContain('rsync 23');
    expect(text).toMatch(/secret/);
    expect(slack.rejections).toEqual([]);
  });

  it('refuses a request with a wrong signature', async () => {
    const { res } = await command('status fs01', 'not-the-secret');
    expect(res.status).toBe(401);
  });

  it('shows hostile file names without pinging anyone', async () => {
    const { res } = await command('fs02');
    const raw = await res.text();
    expect(raw).toContain('&lt;!channel&gt;');
    expect(raw).not.toMatch(/<[!@]/);
  });

  it('matches a typo and suggests names for an unknown one', async () => {
    const typo = (await (await command('status fs1')).res.json()) as Reply;
    expect(JSON.stringify(typo)).toMatch(/Showing `fs01` for “fs1”/);
    const unknown = (await (await command('status nosuchthing')).res.json()) as Reply;
    expect(unknown.text).toMatch(/Unknown name/);
  });

  it('gives the fleet overview worst first, the failures, a history strip and help', async () => {
    const overview = JSON.stringify(((await (await command('')).res.json()) as Reply).blocks);
    expect(overview).toMatch(/\*2\* failed/);
    const failures = JSON.stringify(((await (await command('failures')).res.json()) as Reply).blocks);
    expect(failures).toContain('`fs01`');
    expect(failures).toContain('`fs02`');
    const history = JSON.stringify(((await (await command('history fs01 7')).res.json()) as Reply).blocks);
    expect(history).toMatch(/:x: rsync 23/);
    const help = (await (await command('history fs01 0')).res.json()) as Reply;
    expect(help.text).toMatch(/DAYS must be between 1 and 365/);
  });
});
