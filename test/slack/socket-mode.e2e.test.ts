/**
 * Socket Mode end to end: the real service with SLACK_APP_TOKEN and no signing secret connects to
 * the stand-in's WebSocket (apps.connections.open → ws://127.0.0.1 → hello), and the same
 * /backup and button flows as HTTP mode arrive as envelopes. Slack wants every envelope acked
 * within 3 s; a slash command's answer travels in the ack's payload.
 */
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { acknowledgements } from '../../src/db/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type Service } from '../../src/main.ts';
import { scheduledJobs } from '../../src/schedule/jobs.ts';
import { DATABASES, pgliteDb, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { SLASH_COMMAND_DEFAULTS } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SentEnvelope, type SlackStandIn } from '../helpers/slack-standin.ts';
import { until } from '../helpers/until.ts';

const BOT_TOKEN = 'xoxb-test-token';
const ENV = {
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SUMMARY_CHANNEL: 'C_SUMMARY',
  SLACK_FAILURE_CHANNEL: 'C_FAILURES',
  SLACK_APPROVALS_CHANNEL: 'C_APPROVALS',
  SLACK_APPROVER_GROUP: 'SAPPROVERS',
};
/** Slack's limit for acknowledging an envelope. */
const ACK_LIMIT_MS = 3000;
/** The Socket Mode client waits 5 s (its clientPingTimeout) before reconnecting; leave room on a loaded machine. */
const RECONNECT_WAIT_MS = 25_000;

const pstLog = Buffer.from(
  'sending incremental file list\n' +
    'docs/report.txt\n' +
    'rsync: [sender] send_files failed to open "/srv/share/Mail/Outlook.pst": Device or resource busy (16)\n\n' +
    'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 99,999  speedup is 77.52\n' +
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]\n',
);

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: unknown[];
}
interface Overflow {
  action_id: string;
  options: Array<{ value: string; text: { type: string; text: string } }>;
}

describe.each(DATABASES)('Socket Mode on %s', (_kind, open) => {
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
    // No SLACK_SIGNING_SECRET: Socket Mode needs none.
    svc = await startTestService(t.database, { ...ENV, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url });
    const seeded = await seedServer(t.database, 'Acorn Dental', 'fs01');
    fs01 = seeded.server.id;
    const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: pstLog, headers: { authorization: `Bearer ${seeded.token}` } });
    expect(res.status).toBe(201);
    await until('the Socket Mode connection', () => slack.socket.connected);
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  /** Sends an envelope and waits for its ack; the ack must come within Slack's 3 s. */
  async function deliver(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>) {
    const id = slack.socket.send(type, payload);
    const env = await until(`the ack of ${type} envelope ${id}`, () => (slack.socket.envelope(id)?.ack ? slack.socket.envelope(id) : undefined));
    const ack = env.ack!;
    expect(ack.ms).toBeLessThan(ACK_LIMIT_MS);
    return { env, ack };
  }
  /**
   * Runs a slash command. The answer is in the ack's payload, unless the look-up took longer than
   * the listener's 2 s budget (a loaded machine): then the ack says so and the answer follows on
   * the response_url.
   */
  const command = async (text: string, user = 'U_ALICE') => {
    const id = `cmd-${next()}`;
    const { ack, env } = await deliver('slash_commands', { ...SLASH_COMMAND_DEFAULTS, text, user_id: user, response_url: slack.responseUrl(id) });
    const acked = (ack.payload ?? {}) as Reply;
    if (acked.text !== 'Looking that up…') return { reply: acked, env };
    const followUp = await until('the answer on the response_url', () => slack.callsTo(`response_url:${id}`)[0]);
    return { reply: followUp.body as Reply, env };
  };
  const click = (user: string, action: object, where: { channel: string; ts: string }) =>
    deliver('interactive', {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T_TEST' },
      api_app_id: 'A_BACKUPBOT',
      token: 'x',
      team: { id: 'T_TEST', domain: 'backupbot-test' },
      trigger_id: `trigger.${next()}`,
      container: { type: 'message', message_ts: where.ts, channel_id: where.channel, is_ephemeral: false },
      channel: { id: where.channel, name: 'x' },
      message: { ts: where.ts, type: 'message', text: 'x', blocks: [] },
      response_url: slack.responseUrl(`act-${next()}`),
      actions: [{ action_ts: '1', block_id: 'b', ...action }],
    });
  const submit = (user: string, callbackId: string, privateMetadata: string, values: object) =>
    deliver('interactive', {
      type: 'view_submission',
      team: { id: 'T_TEST', domain: 'backupbot-test' },
      user: { id: user, name: user.toLowerCase(), team_id: 'T_TEST' },
      api_app_id: 'A_BACKUPBOT',
      token: 'x',
      trigger_id: `trigger.${next()}`,
      view: { id: 'V1', team_id: 'T_TEST', type: 'modal', callback_id: callbackId, private_metadata: privateMetadata, state: { values }, hash: 'h', title: { type: 'plain_text', text: 'x' }, blocks: [] },
    });
  const allAcked = (envs: SentEnvelope[]) => envs.every((e) => e.ack !== undefined && e.ack.ms < ACK_LIMIT_MS);

  it('connects with the app-level token and no signing secret: apps.connections.open, then hello', () => {
    const opens = slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.token).toBe(slack.appToken);
    expect(slack.socket.connections).toBe(1);
    // auth.test (Bolt's start-up check) goes with the bot token, never the app token.
    expect(slack.callsTo('auth.test').map((c) => c.token)).toEqual([BOT_TOKEN]);
    expect(svc.slack?.handler).toBeUndefined();
    expect(slack.rejections).toEqual([]);
  });

  it('answers `/backup status fs01` in the ack payload within 3 s, with its code, status and failing path', async () => {
    const { reply } = await command('status fs01');
    expect(reply.response_type).toBe('ephemeral');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('*failed*');
    expect(text).toContain('rsync 23');
    expect(text).toContain('Outlook.pst');
    expect(slack.rejections).toEqual([]);
  });

  it('answers `/backup` with the fleet overview and `/backup status` of an unknown name with suggestions', async () => {
    const overview = await command('');
    expect(JSON.stringify(overview.reply.blocks)).toMatch(/\*1\* failed/);
    const unknown = await command('status nosuchthing');
    expect(unknown.reply.text).toMatch(/Unknown name/);
    expect(slack.rejections).toEqual([]);
  });

  it('acknowledges a failure from the nightly summary: menu click, modal, submission, message updated, row stored', async () => {
    const nightly = scheduledJobs(loadConfig({ ...ENV, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url })).nightly;
    expect(await svc.scheduler.runSlot(nightly, new Date())).toBe('posted');
    const posted = slack.callsTo('chat.postMessage').find((c) => c.body.channel === 'C_SUMMARY')!;
    const nightlyTs = await until('the posted ts', async () => (await t.database.db.query.postedMessages.findFirst())?.ts);
    const block = (posted.body.blocks as Array<{ block_id?: string; accessory?: Overflow }>).find((b) => b.block_id === `srv:${fs01}`)!;
    const ackOption = block.accessory!.options.find((o) => o.text.text === 'Acknowledge')!;

    const before = slack.callsTo('views.open').length;
    const clicked = await click('U_ALICE', { type: 'overflow', action_id: 'server_menu', selected_option: ackOption }, { channel: 'C_SUMMARY', ts: nightlyTs });
    // A block_actions envelope accepts no response payload: the modal opens through views.open.
    expect(clicked.env.payload.type).toBe('block_actions');
    const opened = await until('views.open of the acknowledge modal', () =>
      slack.callsTo('views.open').slice(before).find((c) => (c.body.view as { callback_id: string }).callback_id === 'ack_modal'),
    );
    const modal = opened.body.view as { private_metadata: string };

    const values = { note: { value: { type: 'plain_text_input', value: 'Customer swaps the disk on Friday' } } };
    await submit('U_ALICE', 'ack_modal', modal.private_metadata, values);
    const update = await until('chat.update of the summary', () => slack.callsTo('chat.update').find((c) => c.body.ts === nightlyTs));
    expect(JSON.stringify(update.body.blocks)).toContain('Acknowledged by <@U_ALICE>');
    const rows = await t.database.db.select().from(acknowledgements).where(eq(acknowledgements.serverId, fs01));
    expect(rows.map((r) => [r.userId, r.note])).toEqual([['U_ALICE', 'Customer swaps the disk on Friday']]);
    expect(allAcked(slack.socket.envelopes)).toBe(true);
    expect(slack.rejections).toEqual([]);
  });

  it('returns form errors of a modal in the ack of its view_submission', async () => {
    const { reply } = await command('status fs01');
    const buttons = (reply.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions')!.elements!;
    const exceptionButton = buttons.find((b) => b.action_id === 'server_exception')!;
    const before = slack.callsTo('views.open').length;
    await click('U_ALICE', { type: 'button', action_id: 'server_exception', value: exceptionButton.value, text: { type: 'plain_text', text: 'Add exception' } }, { channel: 'C_SUMMARY', ts: '1.1' });
    const opened = await until('views.open of the exception modal', () =>
      slack.callsTo('views.open').slice(before).find((c) => (c.body.view as { callback_id: string }).callback_id === 'exception_modal'),
    );
    const form = {
      pattern: { value: { type: 'plain_text_input', value: '*.pst' } },
      scope: { value: { type: 'radio_buttons', selected_option: { value: 'server', text: { type: 'plain_text', text: 'x' } } } },
      reason: { value: { type: 'plain_text_input', value: 'x' } },
      expires: { value: { type: 'datepicker', selected_date: null } },
    };
    const { ack } = await submit('U_ALICE', 'exception_modal', (opened.body.view as { private_metadata: string }).private_metadata, form);
    expect(ack.payload?.response_action).toBe('errors');
    expect(Object.keys(ack.payload?.errors as object)).toEqual(['reason']);
    expect(slack.rejections).toEqual([]);
  });

  it('keeps its connection through the client\'s ping/pong heartbeat', async () => {
    const connection = slack.socket.connections;
    // The client pings about every 1.7 s and gives a connection up after 4 pings without a pong;
    // 5 answered pings on one connection show the heartbeat works against this WebSocket.
    await until('5 pings on one connection', () => slack.socket.pings(connection) >= 5, RECONNECT_WAIT_MS);
    expect(slack.socket.connections).toBe(connection);
    expect(slack.socket.connected).toBe(true);
    const { reply } = await command('status fs01');
    expect(JSON.stringify(reply.blocks)).toContain('rsync 23');
  });

  it('reconnects after Slack asks for a refresh, and answers a command sent on the new connection', async () => {
    const opensBefore = slack.callsTo('apps.connections.open').length;
    const connectionsBefore = slack.socket.connections;
    slack.socket.disconnect('refresh_requested');
    await until('a new connection after refresh_requested', () => slack.socket.connections > connectionsBefore && slack.socket.connected, RECONNECT_WAIT_MS);
    // A new URL every time: the old ticket is spent.
    expect(slack.callsTo('apps.connections.open').length).toBe(opensBefore + 1);
    const { reply, env } = await command('status fs01');
    expect(env.connection).toBe(connectionsBefore + 1);
    expect(JSON.stringify(reply.blocks)).toContain('rsync 23');
    expect(slack.rejections).toEqual([]);
  });

  it('reconnects after Slack closes the connection with a close frame', async () => {
    const opensBefore = slack.callsTo('apps.connections.open').length;
    const connectionsBefore = slack.socket.connections;
    slack.socket.close(1001);
    await until('a new connection after a closed one', () => slack.socket.connections > connectionsBefore && slack.socket.connected, RECONNECT_WAIT_MS);
    expect(slack.callsTo('apps.connections.open').length).toBe(opensBefore + 1);
    const { reply, env } = await command('status fs01');
    expect(env.connection).toBe(connectionsBefore + 1);
    expect(JSON.stringify(reply.blocks)).toContain('Outlook.pst');
    expect(slack.rejections).toEqual([]);
  });

  it('reconnects after the connection drops without a close frame', async () => {
    const opensBefore = slack.callsTo('apps.connections.open').length;
    const connectionsBefore = slack.socket.connections;
    slack.socket.drop();
    await until('a new connection after a dropped one', () => slack.socket.connections > connectionsBefore && slack.socket.connected, RECONNECT_WAIT_MS);
    expect(slack.callsTo('apps.connections.open').length).toBe(opensBefore + 1);
    const { reply, env } = await command('status fs01');
    expect(env.connection).toBe(connectionsBefore + 1);
    expect(JSON.stringify(reply.blocks)).toContain('*failed*');
    // Only the three reconnects the tests caused.
    expect(slack.socket.connections).toBe(4);
    expect(allAcked(slack.socket.envelopes)).toBe(true);
    expect(slack.rejections).toEqual([]);
  });
});

describe('Socket Mode with a wrong app-level token', () => {
  let t: TestDb;
  let slack: SlackStandIn;
  let svc: Service | undefined;

  beforeAll(async () => {
    t = await pgliteDb();
    slack = await startSlackStandIn();
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  it('starts the service anyway and logs which token to fix, instead of hanging', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...ENV, SLACK_APP_TOKEN: 'xapp-1-A_OTHER-1-revoked', SLACK_API_URL: slack.url });
    svc = await startService(config, createLogger('info', sink), { database: t.database, schedule: false });
    // Slack's answer came before start-up went on (it waits at most 5 s for Slack): the refusal
    // ended the first attempt rather than leaving it to retry unseen.
    const line = logged.split('\n').find((l) => l.includes('Slack refused to start'));
    expect(line).toBeDefined();
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect(line).toContain('invalid_auth');
    expect(line).toContain('Check SLACK_APP_TOKEN');
    expect(line).not.toContain('SLACK_BOT_TOKEN');
    // Only the app-level token was refused (the bot token passed auth.test); a retry may have come since.
    expect(new Set(slack.rejections.map((r) => r.method))).toEqual(new Set(['apps.connections.open']));
    expect(slack.rejections[0]!.reason).toMatch(/^invalid_auth/);
    expect(slack.socket.connections).toBe(0);
  });
});

describe("the stand-in's apps.connections.open", () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await startSlackStandIn();
  });
  afterAll(async () => {
    await slack?.close();
  });
  const open = async (token?: string) => {
    const res = await fetch(`${slack.url}apps.connections.open`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
    return (await res.json()) as { ok: boolean; error?: string; url?: string };
  };

  it('answers like Slack for a bot token, a wrong app token, no token and the right one', async () => {
    expect(await open(BOT_TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-1-A_OTHER-1-nope')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await open()).toEqual({ ok: false, error: 'not_authed' });
    const good = await open(slack.appToken);
    expect(good.ok).toBe(true);
    expect(good.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+&app_id=A_BACKUPBOT$/);
  });

  it('refuses bot-token methods called with the app-level token', async () => {
    const res = await fetch(`${slack.url}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${slack.appToken}` } });
    expect(await res.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
  });
});
