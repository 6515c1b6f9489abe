import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledgements, auditLog, exceptions, incidents, results, servers } from '../../src/db/schema.ts';
import type { Service } from '../../src/main.ts';
import { scheduledJobs } from '../../src/schedule/jobs.ts';
import { loadConfig } from '../../src/config.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { appHomeOpenedBody, interactionBody, signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SlackCall, type SlackStandIn } from '../helpers/slack-standin.ts';
import { until } from '../helpers/until.ts';

const SECRET = 'test-signing-secret';
const ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
  SLACK_FAILURE_CHANNEL: 'C_FAILURES',
  SLACK_APPROVALS_CHANNEL: 'C_APPROVALS',
  SLACK_APPROVER_GROUP: 'SAPPROVERS',
  SLACK_ESCALATION_GROUP: 'STSR3',
  ESCALATION_TARGET_THRESHOLD: '3',
};
const pstLog = Buffer.from(
  'sending incremental file list\n' +
    'docs/report.txt\n' +
    'rsync: [sender] send_files failed to open "/srv/share/Mail/Outlook.pst": Device or resource busy (16)\n' +
    'rsync: [sender] send_files failed to open "/srv/share/Mail/Archive.PST": Device or resource busy (16)\n\n' +
    'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 99,999  speedup is 77.52\n' +
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]\n',
);
const socketLog = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code10-connection-refused.log'));

interface Overflow {
  action_id: string;
  options: Array<{ value: string; text: { text: string } }>;
}
interface SectionBlock {
  type: string;
  block_id?: string;
  text?: { text: string };
  accessory?: Overflow;
  elements?: Array<{ action_id: string; value: string }>;
}

describe.each(DATABASES)('interactive workflows on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;
  let fs01: number;
  let counter = 0;
  const next = () => `${Date.now()}.${++counter}`;

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    slack.setUserGroup('SAPPROVERS', ['U_BOSS', 'U_BOSS2']);
    svc = await startTestService(t.database, { ...ENV, SLACK_API_URL: slack.url }, { schedule: false });
    const seeded = await seedServer(t.database, 'Acorn Dental', 'fs01');
    fs01 = seeded.server.id;
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: pstLog, headers: { authorization: `Bearer ${seeded.token}` } });
    expect(res.status).toBe(201);
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
    return (await res.json()) as { text: string; blocks: SectionBlock[] };
  };
  const click = (user: string, action: object, where: { channel?: string; ts?: string; view?: object } = {}) => {
    const responseUrl = slack.responseUrl(`act-${next()}`);
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T_TEST' },
      api_app_id: 'A_BACKUPBOT',
      token: 'x',
      team: { id: 'T_TEST', domain: 'backupbot-test' },
      trigger_id: `trigger.${next()}`,
      ...(where.view
        ? { container: { type: 'view', view_id: 'V1' }, view: where.view }
        : {
            container: { type: 'message', message_ts: where.ts ?? '1.1', channel_id: where.channel ?? 'C_SUMMARY', is_ephemeral: !where.ts },
            channel: { id: where.channel ?? 'C_SUMMARY', name: 'x' },
            message: { ts: where.ts ?? '1.1', type: 'message', text: 'x', blocks: [] },
            response_url: responseUrl,
          }),
      actions: [{ action_ts: '1', block_id: 'b', ...action }],
    };
    return { res: post(interactionBody(payload)), responseUrl };
  };
  const submit = (user: string, callbackId: string, privateMetadata: string, values: object) =>
    post(
      interactionBody({
        type: 'view_submission',
        team: { id: 'T_TEST', domain: 'backupbot-test' },
        user: { id: user, name: user.toLowerCase(), team_id: 'T_TEST' },
        api_app_id: 'A_BACKUPBOT',
        token: 'x',
        trigger_id: `trigger.${next()}`,
        view: { id: 'V1', team_id: 'T_TEST', type: 'modal', callback_id: callbackId, private_metadata: privateMetadata, state: { values }, hash: 'h', title: { type: 'plain_text', text: 'x' }, blocks: [] },
      }),
    );
  const opened = (callbackId: string, after: number) =>
    until(`views.open ${callbackId}`, () => slack.callsTo('views.open').slice(after).find((c) => (c.body.view as { callback_id: string }).callback_id === callbackId));
  const told = (id: string) => until(`a reply on ${id}`, () => slack.calls.find((c) => c.method === `response_url:${id.split('/').pop()}`));
  const viewOf = (c: SlackCall) => c.body.view as { private_metadata: string; blocks: SectionBlock[] };

  let nightlyTs = '';

  it('puts a menu with Acknowledge / Add exception / Reparse / Details on every failing server of the nightly summary', async () => {
    const nightly = scheduledJobs(loadConfig({ ...ENV, SLACK_API_URL: slack.url })).nightly;
    expect(await svc.scheduler.runSlot(nightly, new Date())).toBe('posted');
    const [msg] = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_SUMMARY');
    const block = (msg!.body.blocks as SectionBlock[]).find((b) => b.block_id === `srv:${fs01}`)!;
    expect(block.accessory!.options.map((o) => o.text.text)).toEqual(['Acknowledge', 'Add exception', 'Reparse', 'Details']);
    nightlyTs = (await until('the posted ts', async () => (await t.database.db.query.postedMessages.findFirst())?.ts))!;
  });

  it('acknowledges from the summary through a modal, updates the message in place, and ignores a second click', async () => {
    const before = slack.callsTo('views.open').length;
    const [ackOption] = (slack.callsTo('chat.postMessage')[0]!.body.blocks as SectionBlock[]).find((b) => b.block_id === `srv:${fs01}`)!.accessory!.options;
    const { res } = click('U_ALICE', { type: 'overflow', action_id: 'server_menu', selected_option: ackOption }, { channel: 'C_SUMMARY', ts: nightlyTs });
    expect((await res).status).toBe(200);
    const modal = viewOf(await opened('ack_modal', before));
    const values = { note: { value: { type: 'plain_text_input', value: 'Customer swaps the disk on Friday <!channel>' } } };
    expect((await submit('U_ALICE', 'ack_modal', modal.private_metadata, values)).status).toBe(200);
    const update = await until('chat.update of the summary', () => slack.callsTo('chat.update').find((c) => c.body.ts === nightlyTs));
    const text = JSON.stringify(update.body.blocks);
    expect(text).not.toContain('v1:ack:');
    expect(text).toContain('Acknowledged by <@U_ALICE>');
    expect(text).toContain('&lt;!channel&gt;');
    await submit('U_BOB', 'ack_modal', modal.private_metadata, values);
    await until('the second answer', () => slack.callsTo('chat.postEphemeral').find((c) => String(c.body.text).includes('Already acknowledged')) ?? slack.calls.find((c) => c.method.startsWith('response_url:') && String(c.body.text).includes('Already acknowledged')));
    const acks = await t.database.db.select().from(acknowledgements).where(eq(acknowledgements.serverId, fs01));
    expect(acks.map((a) => [a.userId, a.note])).toEqual([['U_ALICE', 'Customer swaps the disk on Friday <!channel>']]);
  });

  it('shows the acknowledged failure in the next digest without alerting on it', async () => {
    await t.database.db.update(servers).set({ createdAt: new Date(Date.now() - 10 * 86400_000) }).where(eq(servers.id, fs01));
    const digest = scheduledJobs(loadConfig({ ...ENV, DIGEST_DAYS: '3' })).digest;
    expect(await svc.scheduler.runSlot(digest, new Date(Date.now() + 1000))).toBe('posted');
    const msg = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C_FAILURES').pop()!;
    const blocks = msg.body.blocks as SectionBlock[];
    expect(blocks.some((b) => b.block_id === `srv:${fs01}`)).toBe(false);
    expect(JSON.stringify(blocks)).toMatch(/Acknowledged\*.*fs01.*Acknowledged by <@U_ALICE>/s);
    expect(JSON.stringify(blocks)).toContain('*0 servers* with no successful backup');
  });

  let exceptionId = 0;

  it('proposes an exception from the server reply, validating the form first', async () => {
    const reply = await command('status fs01');
    const buttons = reply.blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual(['server_exception', 'server_reparse', 'server_details']);
    const before = slack.callsTo('views.open').length;
    const { res } = click('U_ALICE', { type: 'button', action_id: 'server_exception', value: buttons[0]!.value, text: { type: 'plain_text', text: 'Add exception' } });
    expect((await res).status).toBe(200);
    const modal = viewOf(await opened('exception_modal', before));
    expect(JSON.stringify(modal.blocks)).toContain('"initial_value":"*.pst"');

    const form = (pattern: string, reason: string) => ({
      pattern: { value: { type: 'plain_text_input', value: pattern } },
      scope: { value: { type: 'radio_buttons', selected_option: { value: 'server', text: { type: 'plain_text', text: 'x' } } } },
      reason: { value: { type: 'plain_text_input', value: reason } },
      expires: { value: { type: 'datepicker', selected_date: null } },
    });
    const bad = await submit('U_ALICE', 'exception_modal', modal.private_metadata, form('*', 'x'));
    const errors = (await bad.json()) as { response_action: string; errors: Record<string, string> };
    expect(errors.response_action).toBe('errors');
    expect(Object.keys(errors.errors).sort()).toEqual(['pattern', 'reason']);

    // "*" stops at "/": a whole-path pattern that matches none of the failing files is refused
    // when it is written, with the paths it was compared with.
    const silent = (await (await submit('U_ALICE', 'exception_modal', modal.private_metadata, form('*/Mail/Outlook.pst', 'backed up by NTBackup nightly'))).json()) as { errors: Record<string, string> };
    expect(silent.errors.pattern).toMatch(/matches none of the 2 failing paths of the last 14 days, e\.g\. "\/srv\/share\/Mail\/.*"\. .*"\*\*\/"/);

    expect((await submit('U_ALICE', 'exception_modal', modal.private_metadata, form('*.pst', 'backed up by NTBackup nightly'))).status).toBe(200);
    const request = await until('the approval request', () => slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C_APPROVALS'));
    expect(JSON.stringify(request.body.blocks)).toMatch(/exception_approve.*exception_reject/);
    const [row] = await t.database.db.select().from(exceptions);
    expect(row).toMatchObject({ pattern: '*.pst', state: 'pending', scope: 'server', serverId: fs01, createdBy: 'U_ALICE' });
    exceptionId = row!.id;
  });

  it('refuses approval to someone outside the approver group', async () => {
    const { res, responseUrl } = click('U_ALICE', { type: 'button', action_id: 'exception_approve', value: `v1:exception:${exceptionId}`, text: { type: 'plain_text', text: 'Approve' } }, { channel: 'C_APPROVALS', ts: '9.9' });
    expect((await res).status).toBe(200);
    const refusal = await told(responseUrl);
    expect(String(refusal.body.text)).toMatch(/Only members of <!subteam\^SAPPROVERS>/);
    const [row] = await t.database.db.select().from(exceptions).where(eq(exceptions.id, exceptionId));
    expect(row!.state).toBe('pending');
  });

  it('records one approval when two approvers click at once, then flips the server to ok by reparsing', async () => {
    const approve = (user: string) => click(user, { type: 'button', action_id: 'exception_approve', value: `v1:exception:${exceptionId}`, text: { type: 'plain_text', text: 'Approve' } }, { channel: 'C_APPROVALS', ts: '9.9' });
    const [a, b] = [approve('U_BOSS'), approve('U_BOSS2')];
    expect((await a.res).status).toBe(200);
    expect((await b.res).status).toBe(200);
    const loser = await until('the loser is told', () => slack.calls.find((c) => (c.method === `response_url:${a.responseUrl.split('/').pop()}` || c.method === `response_url:${b.responseUrl.split('/').pop()}`) && String(c.body.text).startsWith('Already approved')));
    expect(loser).toBeTruthy();
    const dm = await until('the proposer hears back', () => slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'U_ALICE' || c.body.channel === 'D_ALICE'));
    expect(String(dm.body.text)).toMatch(/was approved by <@U_BOSS2?>\. 1 of 1 result changed: failed → ok/);
    const approvals = await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'exception.approve'));
    expect(approvals).toHaveLength(1);
    const [latest] = await t.database.db.select().from(results).where(eq(results.serverId, fs01)).orderBy(results.id);
    const all = await t.database.db.select().from(results).where(eq(results.serverId, fs01)).orderBy(results.id);
    expect(latest).toBeTruthy();
    expect(all.map((r) => r.status)).toEqual(['failed', 'ok']);
    expect(all[1]).toMatchObject({ code: 23, okByExceptions: true });
    // The summary is re-rendered in place from the current state: the server's line, icon and
    // the headline counts all say ok now, and nothing in it contradicts that.
    const update = await until('summary now ok', () => slack.callsTo('chat.update').find((c) => c.body.ts === nightlyTs && JSON.stringify(c.body.blocks).includes('`fs01` *ok*')));
    const blocks = update.body.blocks as SectionBlock[];
    const line = blocks.find((b) => b.block_id === 'srv:' + fs01)!.text!.text;
    expect(line).toMatch(/^:white_check_mark: \*Acorn Dental\* › `fs01` \*ok\* · rsync 23/);
    expect(line).not.toMatch(/:x:|\*failed\*/);
    expect(line).toContain('exception `*.pst` approved by <@U_BOSS');
    const headline = blocks.find((b) => b.block_id === 'headline')!.text!.text;
    expect(headline).toMatch(/\*1\* ok \(1 only thanks to exceptions\) · :x: \*0\* failed/);
    await until('request marked approved', () => slack.callsTo('chat.update').find((c) => c.body.channel === 'C_APPROVALS' && JSON.stringify(c.body.blocks).includes('Approved by')));
  });

  it('answers an expired or foreign button with a clear private message', async () => {
    const { res, responseUrl } = click('U_ALICE', { type: 'button', action_id: 'server_details', value: 'v1:details:999999:1', text: { type: 'plain_text', text: 'Details' } });
    expect((await res).status).toBe(200);
    expect(String((await told(responseUrl)).body.text)).toMatch(/no longer act on/);
    const garbage = click('U_ALICE', { type: 'button', action_id: 'server_ack', value: 'hello', text: { type: 'plain_text', text: 'x' } });
    expect(String((await told(garbage.responseUrl)).body.text)).toMatch(/no longer act on/);
  });

  it('opens details with a log excerpt and uploads the raw log on request', async () => {
    const reply = await command('fs01');
    const details = reply.blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === 'server_details')!;
    const before = slack.callsTo('views.open').length;
    click('U_ALICE', { type: 'button', action_id: 'server_details', value: details.value, text: { type: 'plain_text', text: 'Details' } }, { channel: 'C_SUMMARY', ts: nightlyTs });
    const modal = viewOf(await opened('details_modal', before));
    const text = JSON.stringify(modal.blocks);
    expect(text).toContain('Outlook.pst');
    expect(text).toContain('Log excerpt');
    const download = modal.blocks.find((b) => b.type === 'actions')!.elements![0]!;
    click('U_ALICE', { type: 'button', action_id: 'download_log', value: download.value, text: { type: 'plain_text', text: 'Download log' } }, { view: { id: 'V1', private_metadata: modal.private_metadata } });
    // The nightly thread's fleet picture is an upload too: look for the one sent to a DM.
    const done = await until('the file upload', () => slack.callsTo('files.completeUploadExternal').find((c) => c.body.channel_id !== 'C_SUMMARY'));
    const uploaded = (done.body as { uploaded?: Array<{ base64: string }> }).uploaded!;
    expect(Buffer.from(uploaded[0]!.base64, 'base64').equals(pstLog)).toBe(true);
    // The raw customer log goes to the person who asked, in a DM, never to the channel or thread.
    expect(done.body.channel_id).toBe('D_ALICE');
    expect(done.body.thread_ts).toBeUndefined();
    const confirmation = await until('a private confirmation', () =>
      slack.calls.find((c) => (c.method.startsWith('response_url:') || c.method === 'chat.postEphemeral') && String(c.body.text).includes('direct message')),
    );
    expect(confirmation.body.response_type ?? 'ephemeral').toBe('ephemeral');
    expect(String(confirmation.body.text)).toMatch(/Sent you the raw log of `fs01`/);
  });

  it('reparses from /backup with progress and a summary of what changed', async () => {
    const res = await post(slashCommandBody({ text: 'reparse fs01', response_url: slack.responseUrl('reparse') }));
    expect(JSON.stringify(await res.json())).toMatch(/Reparsing/);
    const done = await until('reparse summary', () => slack.calls.find((c) => c.method === 'response_url:reparse' && String(JSON.stringify(c.body)).includes('Reparsed')));
    expect(JSON.stringify(done.body)).toMatch(/no verdict changed/);
  });

  it('pings TSR3 once for a backup target that goes down, not again the next run', async () => {
    const tokens = [];
    for (const name of ['db01', 'db02', 'db03']) {
      const s = await seedServer(t.database, 'Beta Corp', name);
      await t.database.db.update(servers).set({ targetHost: 'custbak9' }).where(eq(servers.id, s.server.id));
      tokens.push(s.token);
    }
    for (const token of tokens) {
      const r = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: socketLog, headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(201);
    }
    await svc.scheduler.tick(new Date());
    await svc.scheduler.tick(new Date(Date.now() + 20 * 60_000));
    const pings = slack.callsTo('chat.postMessage').filter((c) => String(c.body.text).includes('<!subteam^STSR3>'));
    expect(pings).toHaveLength(1);
    expect(String(pings[0]!.body.text)).toMatch(/custbak9 looks down: 3 servers/);
    const thread = slack.callsTo('chat.postMessage').filter((c) => c.body.thread_ts && JSON.stringify(c.body.blocks ?? '').includes('db01'));
    expect(thread).toHaveLength(1);
    const open = await t.database.db.select().from(incidents).where(and(eq(incidents.key, 'target:custbak9')));
    expect(open).toHaveLength(1);
  });

  it('lists the audit trail and the exceptions, with Remove only for approvers', async () => {
    const audit = JSON.stringify((await command('audit fs01')).blocks);
    for (const action of ['acknowledge', 'exception.request', 'exception.approve', 'reparse']) expect(audit).toContain(`*${action}*`);
    const asAlice = JSON.stringify((await command('exceptions fs01')).blocks);
    expect(asAlice).toContain('*.pst');
    expect(asAlice).not.toContain('exception_remove');
    const asBoss = await command('exceptions', 'U_BOSS');
    const remove = asBoss.blocks.find((b) => b.accessory && (b.accessory as unknown as { action_id: string }).action_id === 'exception_remove')!;
    const { responseUrl } = click('U_BOSS', { type: 'button', ...(remove.accessory as object) });
    expect(String((await told(responseUrl)).body.text)).toMatch(/Removed the exception/);
    const [row] = await t.database.db.select().from(exceptions).where(eq(exceptions.id, exceptionId));
    expect(row!.state).toBe('removed');
  });

  it('publishes an App Home with pending approvals for approvers', async () => {
    await t.database.db.insert(exceptions).values({ pattern: '*.qbw', scope: 'global', reason: 'QuickBooks is dumped nightly', state: 'pending', createdBy: 'U_ALICE' });
    const body = appHomeOpenedBody('U_BOSS', `Ev${next()}`);
    expect((await post(body)).status).toBe(200);
    const published = await until('views.publish', () => slack.callsTo('views.publish').find((c) => c.body.user_id === 'U_BOSS'));
    const text = JSON.stringify(published.body.view);
    expect(text).toContain('Waiting for your approval');
    expect(text).toContain('*.qbw');
    expect(slack.rejections).toEqual([]);
  });

  it('will not except a backup source that does not exist, and says what to fix instead', async () => {
    const seeded = await seedServer(t.database, 'Acorn Dental', 'fs09');
    const log = readFileSync(join(import.meta.dirname, '../fixtures/rsync/code23-missing-source.log'));
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: log, headers: { authorization: `Bearer ${seeded.token}` } });
    expect(((await res.json()) as { status: string }).status).toBe('failed');
    const reply = await command('status fs09');
    expect(JSON.stringify(reply.blocks)).toMatch(/does not exist: fix the source path/);
    const button = reply.blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === 'server_exception')!;
    const before = slack.callsTo('views.open').length;
    const { res: clicked, responseUrl } = click('U_ALICE', { type: 'button', action_id: 'server_exception', value: button.value, text: { type: 'plain_text', text: 'Add exception' } });
    expect((await clicked).status).toBe(200);
    expect(String((await told(responseUrl)).body.text)).toMatch(/backup source ".*no-such-folder" does not exist\. An exception cannot cover that .* fix the source path/);
    expect(slack.callsTo('views.open').length).toBe(before);
    // Even an approved pattern for it changes nothing: the error is not a per-file one.
    await t.database.db.insert(exceptions).values({ pattern: 'no-such-folder', scope: 'global', reason: 'tried anyway', state: 'active', createdBy: 'U_BOSS' });
    const again = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: log, headers: { authorization: `Bearer ${seeded.token}`, 'x-finished-at': new Date().toISOString() } });
    expect(((await again.json()) as { status: string }).status).toBe('failed');
  });
});
