import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { loadConfig } from '../../src/config.ts';
import { auditLog, baselines } from '../../src/db/schema.ts';
import type { Service } from '../../src/main.ts';
import { scheduledJobs } from '../../src/schedule/jobs.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { appHomeOpenedBody, interactionBody, signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';
import { until } from '../helpers/until.ts';

/** `suspect` through the Slack stand-in: counted on its own everywhere, with its reasons, and cleared by "Accept as new normal". */

const SECRET = 'test-signing-secret';
const ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
  SLACK_FAILURE_CHANNEL: 'C_FAILURES',
  SLACK_APPROVALS_CHANNEL: 'C_APPROVALS',
  SLACK_APPROVER_GROUP: 'SAPPROVERS',
  SLACK_ESCALATION_GROUP: 'STSR3',
};
const fixture = (tool: string, name: string) => readFileSync(join(import.meta.dirname, '../fixtures', tool, `${name}.log`), 'utf8');
let serial = 0;
/** The us-dates TSM night, inspecting `objects` objects (and unique, so never taken for a retry). */
const tsmNight = (objects: number) =>
  fixture('tsm', 'sched-ok-us-dates')
    .replace(/(Total number of objects inspected:\s+)[\d,]+/g, (_m, h: string) => `${h}${Math.round(objects).toLocaleString('en-US')}`)
    .replace(/(Total number of objects expired:\s+)[\d,]+/g, (_m, h: string) => `${h}${++serial}`);

interface Block {
  block_id?: string;
  text?: { text: string };
  accessory?: { options: Array<{ value: string; text: { text: string } }> };
}

describe.each(DATABASES)('suspect in Slack and the CLI on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;
  let fs01: number;
  let counter = 0;
  const next = () => `${Date.now()}.${++counter}`;

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    slack.setUserGroup('SAPPROVERS', ['U_BOSS']);
    // The nights replayed here are from October 2026: allow finish times that old.
    svc = await startTestService(t.database, { ...ENV, SLACK_API_URL: slack.url, MAX_REPORT_AGE_DAYS: '3650' }, { schedule: false });
    const upload = async (token: string, body: string, start: string, finish: string) => {
      const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'x-started-at': start, 'x-finished-at': finish } });
      expect(res.status).toBe(201);
      return (await res.json()) as { status: string };
    };
    // fs01: eight normal TSM nights in October, then the Safespring early quit.
    const a = await seedServer(t.database, 'Acorn', 'fs01');
    fs01 = a.server.id;
    for (let i = 0; i < 8; i++) {
      const start = new Date(Date.UTC(2026, 9, 1 + i, 2, 0));
      const v = await upload(a.token, tsmNight(412_337 * (0.9 + (i % 3) * 0.1)), start.toISOString(), new Date(start.getTime() + 41 * 60_000).toISOString());
      expect(v.status).toBe('ok');
    }
    expect((await upload(a.token, fixture('tsm', 'sched-safespring-early-quit'), '2026-10-10T02:00:05Z', '2026-10-10T02:41:17Z')).status).toBe('suspect');
    // db01 fails (connection refused): failed and suspect are counted apart.
    const b = await seedServer(t.database, 'Acorn', 'db01');
    expect((await upload(b.token, fixture('rsync', 'code10-connection-refused'), '2026-10-10T02:00:00Z', '2026-10-10T02:00:03Z')).status).toBe('failed');
    // web01 is fine.
    const c = await seedServer(t.database, 'Acorn', 'web01');
    expect((await upload(c.token, fixture('rsync', 'ok-stats'), '2026-10-10T02:00:00Z', '2026-10-10T02:01:00Z')).status).toBe('ok');
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  const post = (body: string) => fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest(SECRET, body) });
  const command = async (text: string, user = 'U_ALICE') => {
    const res = await post(slashCommandBody({ text, user_id: user, response_url: slack.responseUrl(`cmd-${next()}`) }));
    expect(res.status).toBe(200);
    return (await res.json()) as { text: string; blocks: Block[] };
  };

  it('counts suspect separately in the nightly summary and lists it next to the failure with its numbers and an Accept action', async () => {
    const nightly = scheduledJobs(loadConfig({ ...ENV, SLACK_API_URL: slack.url })).nightly;
    expect(await svc.scheduler.runSlot(nightly, new Date())).toBe('posted');
    const [msg] = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_SUMMARY');
    const blocks = msg!.body.blocks as Block[];
    const headline = blocks.find((b) => b.block_id === 'headline')!.text!.text;
    expect(headline).toContain(':white_check_mark: *1* ok');
    expect(headline).toContain(':x: *1* failed');
    expect(headline).toContain(':warning: *1* suspect');
    expect(headline).toContain('2 servers need attention');
    expect(msg!.body.text).toContain('1 ok, 1 failed, 1 suspect');
    const fs = blocks.find((b) => b.block_id === `srv:${fs01}`)!;
    expect(fs.text!.text).toContain('`fs01` *suspect* · TSM 0');
    expect(fs.text!.text).toMatch(/inspected 1,214 objects; the last 8 good runs inspected [\d,]+ \(median\): −100 %/);
    // TSM's own elapsed time (48 s against 41 min) says it too.
    expect(fs.text!.text).toContain('ran 48 s; the last 8 good runs took 41 min (median): 2 % of the usual, under 20 %');
    expect(fs.accessory!.options.map((o) => o.text.text)).toEqual(['Acknowledge', 'Accept as new normal', 'Reparse', 'Details']);
    // Suspect servers sit between the failed one and the rest.
    const order = blocks.filter((b) => b.block_id?.startsWith('srv:')).map((b) => b.text!.text.match(/`(\w+)`/)![1]);
    expect(order).toEqual(['db01', 'fs01']);
    expect(slack.rejections).toEqual([]);
  });

  it('lists it in the digest with its reasons, and counts it apart from failures', async () => {
    const digest = scheduledJobs(loadConfig({ ...ENV, SLACK_API_URL: slack.url, DIGEST_DAYS: '3' })).digest;
    expect(await svc.scheduler.runSlot(digest, new Date(Date.now() + 1000))).toBe('posted');
    const msg = slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.body.blocks).includes('Servers failing'))!;
    const text = JSON.stringify(msg.body.blocks);
    // db01 was added today, so it has not been failing for three days yet: only fs01 is listed, counted as suspect.
    expect(text).toContain('*1 server* with no successful backup for 3 or more days, longest first. (:warning: 1 suspect)');
    expect(text).not.toContain('db01');
    expect(text).toContain('now *suspect* TSM 0');
    expect(text).toContain('inspected 1,214 objects');
  });

  it('/backup status counts suspect on its own; /backup fs01 shows why, the baseline and the trend', async () => {
    const status = await command('status');
    const head = JSON.stringify(status.blocks.slice(0, 2));
    expect(head).toContain(':x: *1* failed · :warning: *1* suspect');
    expect(head).toContain(':white_check_mark: *1* ok');
    const one = JSON.stringify((await command('fs01')).blocks);
    expect(one).toContain(':warning: *suspect* · TSM 0');
    expect(one).toContain(':mag: inspected 1,214 objects');
    expect(one).toMatch(/_Latest vs baseline:_ files \*1,214\* \(usual [\d,]+\) · size \*3\.9 GB\* \(usual 1\.2 TB\) · took \*48 s\* \(usual 41 min\)/);
    expect(one).toContain('_Baseline:_ median of the last 8 good runs');
    expect(one).toMatch(/_Trend \(files, oldest first\):_ (:white_check_mark: [\d,]+ → ){6}:warning: 1,214/);
  });

  it('the Details view shows why, the baseline next to the latest numbers, and the trend', async () => {
    const before = slack.callsTo('views.open').length;
    const ref = `v1:details:${fs01}:0`;
    const payload = {
      type: 'block_actions',
      user: { id: 'U_ALICE', username: 'u_alice', team_id: 'T_TEST' },
      api_app_id: 'A_BACKUPBOT',
      token: 'x',
      team: { id: 'T_TEST', domain: 'backupbot-test' },
      trigger_id: `trigger.${next()}`,
      container: { type: 'message', message_ts: '1.1', channel_id: 'C_SUMMARY', is_ephemeral: true },
      channel: { id: 'C_SUMMARY', name: 'x' },
      message: { ts: '1.1', type: 'message', text: 'x', blocks: [] },
      response_url: slack.responseUrl(`act-${next()}`),
      actions: [{ action_ts: '1', block_id: 'b', type: 'button', action_id: 'server_details', value: ref }],
    };
    expect((await post(interactionBody(payload))).status).toBe(200);
    const modal = await until('the details modal', () => slack.callsTo('views.open').slice(before).find((c) => (c.body.view as { callback_id: string }).callback_id === 'details_modal'));
    const text = JSON.stringify(modal.body.view);
    expect(text).toContain(':mag: inspected 1,214 objects');
    expect(text).toMatch(/_Latest vs baseline:_ files \*1,214\* \(usual [\d,]+\)/);
    expect(text).toContain('_Trend (files, oldest first):_');
  });

  it('App Home counts suspect separately and lists it among the open problems', async () => {
    const body = appHomeOpenedBody('U_ALICE', `Ev${next()}`);
    expect((await post(body)).status).toBe(200);
    const published = await until('views.publish', () => slack.callsTo('views.publish').find((c) => c.body.user_id === 'U_ALICE'));
    const text = JSON.stringify(published.body.view);
    expect(text).toContain(':x: *1* failed · :warning: *1* suspect');
    expect(text).toContain('Open failures (2 servers');
    expect(text).toContain('inspected 1,214 objects');
  });

  it('the CLI counts it apart, and status SERVER --json carries the suspicion and the baseline', async () => {
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {}, stdin: Readable.from([]) };
    expect(await main(['status'], { database: t.database, io, env: {} })).toBe(0);
    expect(out).toContain('3 servers: 1 ok, 1 failed, 1 suspect, 0 incomplete');
    out = '';
    expect(await main(['status', 'fs01', '--json'], { database: t.database, io, env: {} })).toBe(0);
    const j = JSON.parse(out) as { status: string; suspicion: Array<{ rule: string; message: string }>; baseline: { runs: number; files: number } };
    expect(j.status).toBe('suspect');
    expect(j.suspicion.map((s) => s.rule)).toEqual(['drop', 'short']);
    expect(j.baseline.runs).toBe(8);
    expect(j.baseline.files).toBeGreaterThan(400_000);
  });

  it('Accept as new normal: only approvers, with a reason, audited; the run becomes ok and the summary is updated', async () => {
    const msg = slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C_SUMMARY')!;
    const option = (msg.body.blocks as Block[]).find((b) => b.block_id === `srv:${fs01}`)!.accessory!.options.find((o) => o.text.text === 'Accept as new normal')!;
    const ts = (await until('the posted ts', async () => (await t.database.db.query.postedMessages.findFirst())?.ts))!;
    const click = (user: string) => {
      const responseUrl = slack.responseUrl(`act-${next()}`);
      const payload = {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), team_id: 'T_TEST' },
        api_app_id: 'A_BACKUPBOT',
        token: 'x',
        team: { id: 'T_TEST', domain: 'backupbot-test' },
        trigger_id: `trigger.${next()}`,
        container: { type: 'message', message_ts: ts, channel_id: 'C_SUMMARY', is_ephemeral: false },
        channel: { id: 'C_SUMMARY', name: 'x' },
        message: { ts, type: 'message', text: 'x', blocks: [] },
        response_url: responseUrl,
        actions: [{ action_ts: '1', block_id: `srv:${fs01}`, type: 'overflow', action_id: 'server_menu', selected_option: option }],
      };
      return { res: post(interactionBody(payload)), id: responseUrl.split('/').pop()! };
    };
    // Not an approver: told so, no modal.
    const before = slack.callsTo('views.open').length;
    const alice = click('U_ALICE');
    expect((await alice.res).status).toBe(200);
    const refusal = await until('the refusal', () => slack.calls.find((c) => c.method === `response_url:${alice.id}`));
    expect(JSON.stringify(refusal.body)).toContain('Only the approvers in SLACK_APPROVER_GROUP can accept');
    expect(slack.callsTo('views.open').length).toBe(before);

    const boss = click('U_BOSS');
    expect((await boss.res).status).toBe(200);
    const modal = await until('the accept modal', () => slack.callsTo('views.open').slice(before).find((c) => (c.body.view as { callback_id: string }).callback_id === 'accept_modal'));
    const view = modal.body.view as { private_metadata: string; blocks: Block[] };
    expect(JSON.stringify(view.blocks)).toContain('inspected 1,214 objects');
    const submit = (reason: string) =>
      post(
        interactionBody({
          type: 'view_submission',
          team: { id: 'T_TEST', domain: 'backupbot-test' },
          user: { id: 'U_BOSS', name: 'u_boss', team_id: 'T_TEST' },
          api_app_id: 'A_BACKUPBOT',
          token: 'x',
          trigger_id: `trigger.${next()}`,
          view: { id: 'V1', team_id: 'T_TEST', type: 'modal', callback_id: 'accept_modal', private_metadata: view.private_metadata, state: { values: { reason: { value: { type: 'plain_text_input', value: reason } } } }, hash: 'h', title: { type: 'plain_text', text: 'x' }, blocks: [] },
        }),
      );
    // A reason is required.
    const empty = await submit('  ');
    expect(await empty.json()).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringContaining('Say why') } });
    expect((await submit('FS01 moved its archive to the NAS')).status).toBe(200);
    const [row] = await until('the baseline row', async () => {
      const rows = await t.database.db.select().from(baselines).where(eq(baselines.serverId, fs01));
      return rows.length ? rows : undefined;
    });
    expect(row).toMatchObject({ actor: 'U_BOSS', reason: 'FS01 moved its archive to the NAS', startsAt: new Date('2026-10-10T02:41:17Z') });
    const [entry] = await until('the audit entry', async () => {
      const rows = await t.database.db.select().from(auditLog).where(and(eq(auditLog.serverId, fs01), eq(auditLog.action, 'server.rebaseline')));
      return rows.length ? rows : undefined;
    });
    expect(entry!.actor).toBe('U_BOSS');
    const update = await until('the summary updated in place', () =>
      slack.callsTo('chat.update').find((c) => c.body.ts === ts && JSON.stringify(c.body.blocks).includes('accepted as the new normal')),
    );
    expect(JSON.stringify(update.body.blocks)).toContain(':warning: *0* suspect');
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {}, stdin: Readable.from([]) };
    expect(await main(['status', 'fs01', '--json'], { database: t.database, io, env: {} })).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ status: 'ok', suspicion: [] });
    expect(slack.rejections).toEqual([]);
  });
});
