import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, isValidSlackRequest, LogLevel as BoltLogLevel, webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blockKitProblems, viewProblems } from '../helpers/block-kit-limits.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';
import { interactionBody, signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';

const { WebClient, LogLevel } = webApi;
type Client = InstanceType<typeof WebClient>;

/** The real client, as Bolt builds it, but quiet and with retries that do not wait. */
const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
const fastRetries = { retries: 2, minTimeout: 0, maxTimeout: 0, factor: 1 };

function client(standIn: SlackStandIn, token: string | null = 'xoxb-test-token'): Client {
  return new WebClient(token ?? undefined, { slackApiUrl: standIn.url, logger: silentLogger, retryConfig: fastRetries });
}

/** The `error` (and the whole answer) of a call Slack refused. */
async function platformError(p: Promise<unknown>): Promise<{ error: string; errors?: unknown }> {
  const e = await p.then(
    () => {
      throw new Error('expected the call to be rejected');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(webApi.WebAPIPlatformError);
  return (e as InstanceType<typeof webApi.WebAPIPlatformError>).data;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

let standIn: SlackStandIn;
let slack: Client;

beforeAll(async () => {
  standIn = await startSlackStandIn();
  slack = client(standIn);
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => standIn.reset());

describe('slack stand-in with the real WebClient', () => {
  it('listens on loopback and hands out an /api/ base URL', () => {
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('accepts a valid chat.postMessage, answers like Slack and records the decoded call', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Nightly backups' } },
      section('*3 of 4* completed'),
      {
        type: 'actions',
        block_id: 'act',
        elements: [
          { type: 'button', action_id: 'rerun', text: { type: 'plain_text', text: 'Re-run' }, value: 'srv-1', style: 'primary' },
          { type: 'button', action_id: 'ignore', text: { type: 'plain_text', text: 'Ignore' }, value: 'srv-1' },
        ],
      },
    ];
    const res = await slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'Nightly backups: 3 of 4', blocks });

    expect(res.ok).toBe(true);
    expect(res.channel).toBe('C_SUMMARY');
    expect(res.ts).toBe('1700000000.000100');
    expect(res.message?.text).toBe('Nightly backups: 3 of 4');
    expect(res.message?.bot_id).toBe('B_BOT');

    const [call] = standIn.callsTo('chat.postMessage');
    expect(call?.token).toBe('xoxb-test-token');
    expect(call?.body.channel).toBe('C_SUMMARY');
    expect(call?.body.blocks).toEqual(blocks); // arrived as a JSON string in a form body; decoded
    expect(call?.body).not.toHaveProperty('token');
    expect(standIn.rejections).toEqual([]);
  });

  it('hands out increasing ts values and supports threads and chat.update', async () => {
    const parent = await slack.chat.postMessage({ channel: 'C_FAILURES', text: 'fs01 failed' });
    const reply = await slack.chat.postMessage({ channel: 'C_FAILURES', text: 'details', thread_ts: parent.ts });
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
    expect(reply.message?.thread_ts).toBe(parent.ts);

    const updated = await slack.chat.update({ channel: 'C_FAILURES', ts: parent.ts as string, text: 'fs01 failed (ack)' });
    expect(updated.ts).toBe(parent.ts);
    expect(updated.text).toBe('fs01 failed (ack)');
    expect(standIn.rejections).toEqual([]);

    expect((await platformError(slack.chat.update({ channel: 'C_FAILURES', ts: '1600000000.000001', text: 'x' }))).error).toBe(
      'message_not_found',
    );
    expect(
      (await platformError(slack.chat.postMessage({ channel: 'C_FAILURES', text: 'x', thread_ts: '1600000000.000001' }))).error,
    ).toBe('thread_not_found');
    // a thread in another channel is not a thread here
    expect((await platformError(slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'x', thread_ts: parent.ts }))).error).toBe(
      'thread_not_found',
    );
  });

  it('answers chat.postEphemeral with message_ts and requires a user', async () => {
    const res = await slack.chat.postEphemeral({ channel: 'C_SUMMARY', user: 'U_ALICE', text: 'only you' });
    expect(res.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(standIn.rejections).toEqual([]);
    const missingUser = slack.apiCall('chat.postEphemeral', { channel: 'C_SUMMARY', text: 'x' });
    expect((await platformError(missingUser)).error).toBe('user_not_in_channel');
  });

  it('rejects a 51-block message with invalid_blocks', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`row ${i}`));
    const data = await platformError(slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'too many', blocks }));
    expect(data.error).toBe('invalid_blocks');
    expect(data.errors).toEqual(['no more than 50 items allowed [json-pointer:/blocks]']);
    expect(standIn.rejections).toEqual([
      { method: 'chat.postMessage', reason: 'invalid_blocks: no more than 50 items allowed [json-pointer:/blocks]' },
    ]);
    // exactly 50 is fine
    await slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'ok', blocks: blocks.slice(0, 50) });
  });

  it('rejects a 3001-character section with invalid_blocks', async () => {
    const data = await platformError(
      slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'long', blocks: [section('x'.repeat(3001))] }),
    );
    expect(data.error).toBe('invalid_blocks');
    expect(data.errors).toEqual(['must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    await slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'ok', blocks: [section('x'.repeat(3000))] });
  });

  it('rejects a 151-character header with invalid_blocks', async () => {
    const header = (n: number) => ({ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(n) } });
    const data = await platformError(slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'h', blocks: [header(151)] }));
    expect(data.error).toBe('invalid_blocks');
    expect(data.errors).toEqual(['must be less than 151 characters [json-pointer:/blocks/0/text/text]']);
    await slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'h', blocks: [header(150)] });
  });

  it('rejects empty messages and over-long text', async () => {
    expect((await platformError(slack.apiCall('chat.postMessage', { channel: 'C_SUMMARY' }))).error).toBe('no_text');
    const long = slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'x'.repeat(40_001) });
    expect((await platformError(long)).error).toBe('msg_too_long');
  });

  it('gives invalid_auth for a wrong token and not_authed for none', async () => {
    expect((await platformError(client(standIn, 'xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect((await platformError(client(standIn, null).auth.test())).error).toBe('not_authed');
    expect(standIn.callsTo('auth.test').map((c) => c.token)).toEqual(['xoxb-wrong', null]);
  });

  it('sends 429 with Retry-After, which the client waits out and retries', async () => {
    standIn.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const res = await slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'after the rate limit' });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it honoured Retry-After: 1
    const attempts = standIn.callsTo('chat.postMessage');
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.body).toEqual(attempts[0]!.body);
    expect(standIn.rejections).toEqual([]);
  });

  it('puts a Retry-After header (seconds, default 1) on a 429', async () => {
    standIn.failNext('auth.test', { status: 429 });
    const res = await fetch(`${standIn.url}auth.test`, { method: 'POST', headers: { authorization: 'Bearer xoxb-test-token' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('rejects a rate-limited call when the client says rejectRateLimitedCalls', async () => {
    const strict = new WebClient('xoxb-test-token', {
      slackApiUrl: standIn.url,
      logger: silentLogger,
      retryConfig: fastRetries,
      rejectRateLimitedCalls: true,
    });
    standIn.failNext('auth.test', { retryAfter: 7 });
    await expect(strict.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
  });

  it('fails with HTTP 5xx, which the client also retries', async () => {
    standIn.failNext('auth.test', { status: 503 });
    const res = await slack.auth.test();
    expect(res.user_id).toBe('U_BOT');
    expect(standIn.callsTo('auth.test')).toHaveLength(2);

    standIn.failNext('auth.test', { status: 500 }, 3); // more than retries: 2
    await expect(slack.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 500 });
  });

  it('fails with 200 {ok:false, error} when told to', async () => {
    standIn.failNext('chat.postMessage', { error: 'is_archived' });
    expect((await platformError(slack.chat.postMessage({ channel: 'C_SUMMARY', text: 'x' }))).error).toBe('is_archived');
    expect(standIn.rejections).toEqual([]); // injected failures are not payload rejections
  });

  it('gives channel_not_found for an unknown channel', async () => {
    const data = await platformError(slack.chat.postMessage({ channel: 'C_NOPE', text: 'hello' }));
    expect(data.error).toBe('channel_not_found');
    expect(standIn.rejections[0]?.reason).toMatch(/^channel_not_found: /);
  });

  it('runs the files upload flow end to end (filesUploadV2)', async () => {
    const parent = await slack.chat.postMessage({ channel: 'C_FAILURES', text: 'fs01 failed' });
    const content = 'rsync error: some files could not be transferred (code 23)\n€ ünïcode';
    const res = await slack.filesUploadV2({
      channel_id: 'C_FAILURES',
      thread_ts: parent.ts as string,
      filename: 'fs01.log',
      title: 'fs01 log',
      content,
      initial_comment: 'The log',
    });
    expect(res.ok).toBe(true);

    const [urlCall] = standIn.callsTo('files.getUploadURLExternal');
    expect(urlCall?.body).toMatchObject({ filename: 'fs01.log', length: String(Buffer.byteLength(content)) });
    const [complete] = standIn.callsTo('files.completeUploadExternal');
    expect(complete?.body).toMatchObject({ channel_id: 'C_FAILURES', thread_ts: parent.ts, initial_comment: 'The log' });
    const uploaded = complete?.body.uploaded as Array<{ id: string; title: string; filename: string; base64: string }>;
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]).toMatchObject({ title: 'fs01 log', filename: 'fs01.log' });
    expect(Buffer.from(uploaded[0]!.base64, 'base64').toString('utf8')).toBe(content);
    expect(standIn.calls.map((c) => c.method.replace(/:.*/, ':*'))).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'upload_url:*',
      'files.completeUploadExternal',
    ]);
    expect(standIn.rejections).toEqual([]);
  });

  it('refuses to complete an upload whose bytes never arrived, or into an unknown channel', async () => {
    const { file_id } = await slack.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    const notUploaded = slack.files.completeUploadExternal({ files: [{ id: file_id as string }], channel_id: 'C_FAILURES' });
    expect((await platformError(notUploaded)).error).toBe('file_not_found');

    const second = await slack.files.getUploadURLExternal({ filename: 'b.txt', length: 3 });
    await fetch(second.upload_url as string, { method: 'POST', body: 'abc' });
    const wrongChannel = slack.files.completeUploadExternal({ files: [{ id: second.file_id as string }], channel_id: 'C_NOPE' });
    expect((await platformError(wrongChannel)).error).toBe('invalid_channel');
    expect((await platformError(slack.files.getUploadURLExternal({ filename: 'c.txt', length: 0 }))).error).toBe(
      'missing_argument',
    );
  });

  it('answers auth.test, conversations.info, usergroups.users.list and unknown methods', async () => {
    const auth = await slack.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: 'U_BOT', team_id: 'T_TEST', bot_id: 'B_BOT' });

    const info = await slack.conversations.info({ channel: 'C_APPROVALS' });
    expect(info.channel).toMatchObject({ id: 'C_APPROVALS', is_channel: true, is_archived: false });
    expect((await platformError(slack.conversations.info({ channel: 'C_NOPE' }))).error).toBe('channel_not_found');

    standIn.setUserGroup('S_APPROVERS', ['U_ALICE', 'U_BOB']);
    expect((await slack.usergroups.users.list({ usergroup: 'S_APPROVERS' })).users).toEqual(['U_ALICE', 'U_BOB']);
    expect((await platformError(slack.usergroups.users.list({ usergroup: 'S_NOPE' }))).error).toBe('no_such_subteam');

    expect((await platformError(slack.apiCall('chat.frobnicate', {}))).error).toBe('unknown_method');
  });

  it('accepts application/json bodies with the token in the header', async () => {
    const res = await fetch(`${standIn.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test-token' },
      body: JSON.stringify({ channel: 'C_SUMMARY', text: 'json', blocks: [section('json body')] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C_SUMMARY' });
    expect(standIn.callsTo('chat.postMessage')[0]?.body.blocks).toEqual([section('json body')]);
  });

  it('validates views.open (single-use trigger_id, 24-char title), views.update and views.publish', async () => {
    const modal = (title: string) => ({
      type: 'modal' as const,
      callback_id: 'approve',
      title: { type: 'plain_text' as const, text: title },
      submit: { type: 'plain_text' as const, text: 'Approve' },
      blocks: [
        {
          type: 'input',
          block_id: 'reason',
          label: { type: 'plain_text', text: 'Reason' },
          element: { type: 'plain_text_input', action_id: 'reason' },
        },
      ],
    });
    const opened = await slack.views.open({ trigger_id: 'trig-1', view: modal('Approve exception') });
    expect(opened.view?.id).toMatch(/^V/);
    expect((await platformError(slack.views.open({ trigger_id: 'trig-1', view: modal('Again') }))).error).toBe(
      'exchanged_trigger_id',
    );
    const tooLong = await platformError(slack.views.open({ trigger_id: 'trig-2', view: modal('t'.repeat(25)) }));
    expect(tooLong.error).toBe('invalid_arguments');
    expect(tooLong.errors).toEqual(['must be less than 25 characters [json-pointer:/view/title/text]']);

    const updated = await slack.views.update({ view_id: opened.view?.id as string, view: modal('Approved') });
    expect(updated.view?.hash).not.toBe(opened.view?.hash);
    expect((await platformError(slack.views.update({ view_id: 'V_NOPE', view: modal('x') }))).error).toBe('not_found');

    const home = await slack.views.publish({ user_id: 'U_ALICE', view: { type: 'home', blocks: [section('Hi')] } });
    expect(home.view?.type).toBe('home');
    const homeAsModal = slack.views.publish({ user_id: 'U_ALICE', view: modal('Nope') as never });
    expect((await platformError(homeAsModal)).error).toBe('invalid_arguments');
  });

  it('records POSTs to a response_url and checks what was sent', async () => {
    const url = standIn.responseUrl('cmd-1');
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Working on it' }),
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blocks: [section('')] }),
    });
    expect(bad.status).toBe(400);
    expect(standIn.callsTo('response_url:cmd-1').map((c) => c.body.text)).toEqual(['Working on it', undefined]);
    expect(standIn.rejections).toEqual([
      { method: 'response_url:cmd-1', reason: 'invalid_blocks: must be more than 0 characters [json-pointer:/blocks/0/text/text]' },
    ]);
  });
});

describe('block kit limits', () => {
  const button = (action_id: string, text = 'Go') => ({ type: 'button', action_id, text: { type: 'plain_text', text } });

  it('passes typical blocks', () => {
    expect(
      blockKitProblems(
        [
          { type: 'header', text: { type: 'plain_text', text: 'Title' } },
          { type: 'section', fields: [{ type: 'mrkdwn', text: '*a*' }], accessory: button('more') },
          { type: 'divider' },
          { type: 'context', elements: [{ type: 'mrkdwn', text: 'ctx' }] },
          { type: 'actions', elements: [button('a'), button('b')] },
          { type: 'actions', elements: [button('a')] }, // same action_id in another block is fine
        ],
        'message',
      ),
    ).toEqual([]);
  });

  it('reports each broken limit with a JSON pointer', () => {
    const problems = blockKitProblems(
      [
        { type: 'section', block_id: 'x', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        { type: 'section', block_id: 'x', fields: [{ type: 'mrkdwn', text: 'y'.repeat(2001) }] },
        { type: 'header', text: { type: 'mrkdwn', text: 'h' } },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'plain_text', text: 'c' })) },
        { type: 'actions', elements: [button('dup'), button('dup', 'b'.repeat(76))] },
        { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) },
        { type: 'section', text: { type: 'markdown', text: 'x' } },
        { type: 'section', text: { type: 'plain_text', text: '' } },
        { type: 'carousel' },
        {
          type: 'actions',
          block_id: 'b'.repeat(256),
          elements: [{ ...button('a'.repeat(256)), value: 'v'.repeat(2001), url: `https://x/${'u'.repeat(3000)}` }],
        },
      ],
      'message',
    );
    expect(problems).toEqual([
      'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
      'duplicate block_id "x" [json-pointer:/blocks/1/block_id]',
      'must be less than 2001 characters [json-pointer:/blocks/1/fields/0/text]',
      'must be plain_text here (mrkdwn is not allowed) [json-pointer:/blocks/2/text/type]',
      'no more than 10 items allowed [json-pointer:/blocks/3/elements]',
      'must be less than 76 characters [json-pointer:/blocks/4/elements/1/text/text]',
      'duplicate action_id "dup" in the same block [json-pointer:/blocks/4/elements/1/action_id]',
      'no more than 25 items allowed [json-pointer:/blocks/5/elements]',
      'must be a valid enum value (plain_text or mrkdwn), got "markdown" [json-pointer:/blocks/6/text/type]',
      'must be more than 0 characters [json-pointer:/blocks/7/text/text]',
      'unknown block type "carousel" [json-pointer:/blocks/8/type]',
      'must be less than 256 characters [json-pointer:/blocks/9/block_id]',
      'must be less than 256 characters [json-pointer:/blocks/9/elements/0/action_id]',
      'must be less than 2001 characters [json-pointer:/blocks/9/elements/0/value]',
      'must be less than 3001 characters [json-pointer:/blocks/9/elements/0/url]',
    ]);
  });

  it('allows 100 blocks in modals and home tabs but not 101', () => {
    const blocks = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expect(blockKitProblems(blocks(100), 'modal')).toEqual([]);
    expect(blockKitProblems(blocks(100), 'home')).toEqual([]);
    expect(blockKitProblems(blocks(101), 'home')).toEqual(['no more than 100 items allowed [json-pointer:/blocks]']);
    expect(viewProblems({ type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: blocks(101) }, 'modal')).toEqual([
      'no more than 100 items allowed [json-pointer:/view/blocks]',
    ]);
  });

  it('requires submit on a modal with an input block', () => {
    const view = {
      type: 'modal',
      title: { type: 'plain_text', text: 'T' },
      blocks: [{ type: 'input', label: { type: 'plain_text', text: 'L' }, element: { type: 'plain_text_input' } }],
    };
    expect(viewProblems(view, 'modal')).toEqual(['submit is required when the view has an input block [json-pointer:/view/submit]']);
  });
});

describe('a Bolt app against the stand-in', () => {
  it('takes a signed slash command, answers on the response_url and posts through the Web API', async () => {
    const app = new App({
      token: 'xoxb-test-token',
      signingSecret: 'shh',
      logLevel: BoltLogLevel.ERROR,
      clientOptions: { slackApiUrl: standIn.url, retryConfig: fastRetries },
    });
    app.command('/backup', async ({ ack, respond, client, command }) => {
      await ack();
      await respond({ response_type: 'ephemeral', text: `Looking up ${command.text}` });
      await client.chat.postMessage({ channel: 'C_SUMMARY', text: `${command.user_id} asked for ${command.text}` });
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    try {
      const { port } = server.address() as AddressInfo;
      const body = slashCommandBody({ text: 'acorn', response_url: standIn.responseUrl('cmd') });
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: signSlackRequest('shh', body),
        body,
      });
      expect(res.status).toBe(200);
      await expect.poll(() => standIn.callsTo('chat.postMessage').length).toBe(1);
      expect(standIn.callsTo('auth.test')).toHaveLength(1); // Bolt checks the token once
      expect(standIn.callsTo('response_url:cmd')[0]?.body).toEqual({ response_type: 'ephemeral', text: 'Looking up acorn' });
      expect(standIn.callsTo('chat.postMessage')[0]?.body).toMatchObject({ channel: 'C_SUMMARY', text: 'U_ALICE asked for acorn' });
      expect(standIn.rejections).toEqual([]);

      const forged = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: signSlackRequest('not-the-secret', body),
        body,
      });
      expect(forged.status).toBe(401);
    } finally {
      await app.stop();
    }
  });
});

describe('signed requests', () => {
  it('signs the way Bolt verifies', () => {
    const body = slashCommandBody({ text: 'status acorn' });
    const headers = signSlackRequest('shh', body);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const verify = (secret: string) =>
      isValidSlackRequest({
        signingSecret: secret,
        body,
        headers: {
          'x-slack-signature': headers['x-slack-signature']!,
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    expect(verify('shh')).toBe(true);
    expect(verify('other')).toBe(false);
  });

  it('builds slash command and interaction bodies', () => {
    const fields = new URLSearchParams(slashCommandBody({ text: 'status acorn dental', response_url: 'http://127.0.0.1:1/r' }));
    expect(fields.get('command')).toBe('/backup');
    expect(fields.get('user_id')).toBe('U_ALICE');
    expect(fields.get('text')).toBe('status acorn dental');
    expect(fields.get('response_url')).toBe('http://127.0.0.1:1/r');
    expect(fields.get('trigger_id')).toBeTruthy();

    const payload = { type: 'block_actions', actions: [{ action_id: 'rerun', value: 'a&b=c' }] };
    const body = interactionBody(payload);
    expect(body.startsWith('payload=')).toBe(true);
    expect(JSON.parse(new URLSearchParams(body).get('payload')!)).toEqual(payload);
  });
});
