import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessage } from '../../src/slack/views/modals.ts';
import { proposeException, recordRequestMessage } from '../../src/exceptions/workflow.ts';
import type { Service } from '../../src/main.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { seedServer, startTestService } from '../helpers/service.ts';
import { interactionBody, signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';
import { until } from '../helpers/until.ts';

const SECRET = 'test-signing-secret';
const ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_APPROVALS_CHANNEL: 'C_APPROVALS',
  SLACK_APPROVER_GROUP: 'SAPPROVERS',
  SLACK_ADMIN_GROUP: 'U_ADMIN',
};
const pstLog = (n: number) =>
  Buffer.from(
    `sending incremental file list\nrun-${n}.txt\n` +
      'rsync: [sender] send_files failed to open "/srv/share/Mail/Outlook.pst": Device or resource busy (16)\n\n' +
      'sent 1,234 bytes  received 56 bytes  2,580.00 bytes/sec\ntotal size is 99,999  speedup is 77.52\n' +
      'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]\n',
  );

describe.each(DATABASES)('Slack edge cases on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;
  let serverId = 0;
  let customerId = 0;

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    slack.setUserGroup('SAPPROVERS', ['U_BOSS']);
    svc = await startTestService(t.database, { ...ENV, SLACK_API_URL: slack.url });
    const seeded = await seedServer(t.database, 'Acorn Dental', 'fs01');
    serverId = seeded.server.id;
    customerId = seeded.server.customerId;
    for (let n = 0; n < 3; n++) {
      const res = await fetch(`${svc.url}/api/v1/reports`, { method: 'POST', body: pstLog(n), headers: { authorization: `Bearer ${seeded.token}` } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  const post = (body: string) => fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest(SECRET, body), signal: AbortSignal.timeout(10_000) });
  const blockActions = (extra: object) => ({
    type: 'block_actions',
    api_app_id: 'A_BACKUPBOT',
    token: 'x',
    team: { id: 'T_TEST', domain: 'backupbot-test' },
    trigger_id: 'trigger.1',
    container: { type: 'message', message_ts: '1.1', channel_id: 'C_SUMMARY', is_ephemeral: false },
    channel: { id: 'C_SUMMARY', name: 'x' },
    message: { ts: '1.1', type: 'message', text: 'x', blocks: [] },
    ...extra,
  });

  it('answers a signed block_actions without a user with 200', async () => {
    const res = await post(interactionBody(blockActions({ actions: [{ action_id: 'server_ack', block_id: 'b', type: 'button', value: `v1:ack:${serverId}:1`, action_ts: '1' }] })));
    expect(res.status).toBe(200);
  });

  it('answers an unknown action_id at once with 200 and tells the user the button is stale', async () => {
    const responseUrl = slack.responseUrl('unknown-action');
    const started = Date.now();
    const res = await post(
      interactionBody(
        blockActions({
          user: { id: 'U_ALICE', username: 'alice', team_id: 'T_TEST' },
          response_url: responseUrl,
          actions: [{ action_id: 'retired_button_v0', block_id: 'b', type: 'button', value: 'x', action_ts: '1' }],
        }),
      ),
    );
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const told = await until('the stale-button reply', () => slack.calls.find((c) => c.method === 'response_url:unknown-action'));
    expect(String(told.body.text)).toMatch(/can no longer act on/);
  });

  it('marks an approval on the request at once, then reports the reparse result there', async () => {
    const row = await proposeException(t.database.db, { pattern: '*.pst', scope: 'server', serverId, customerId, reason: 'Outlook keeps it open', expiresAt: null, actor: 'U_ALICE' });
    const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.url });
    const posted = await client.chat.postMessage({ channel: 'C_APPROVALS', ...approvalMessage({ exception: row, scopeLabel: 'server fs01', paths: [], tz: 'UTC' }) });
    await recordRequestMessage(t.database.db, row.id, 'C_APPROVALS', posted.ts!);
    const res = await post(
      interactionBody(
        blockActions({
          user: { id: 'U_BOSS', username: 'boss', team_id: 'T_TEST' },
          container: { type: 'message', message_ts: posted.ts, channel_id: 'C_APPROVALS', is_ephemeral: false },
          channel: { id: 'C_APPROVALS', name: 'approvals' },
          message: { ts: posted.ts, type: 'message', text: 'x', blocks: [] },
          response_url: slack.responseUrl('approve'),
          actions: [{ action_id: 'exception_approve', block_id: 'b', type: 'button', value: `v1:exception:${row.id}`, action_ts: '1' }],
        }),
      ),
    );
    expect(res.status).toBe(200);
    const updates = () => slack.callsTo('chat.update').filter((c) => c.body.ts === posted.ts).map((c) => JSON.stringify(c.body.blocks));
    await until('the final update', () => updates().find((u) => /results? changed/.test(u)));
    const all = updates();
    // First the decision with the work under way, last the outcome.
    expect(all[0]).toMatch(/Approved by <@U_BOSS>\. Reparsing 3 recent reports/);
    expect(all[all.length - 1]).toMatch(/Approved by <@U_BOSS>\. 3 of 3 results changed: failed → ok/);
  });

  it('limits a long reparse range to admins', async () => {
    const command = async (text: string, user: string) => {
      const res = await post(slashCommandBody({ text, user_id: user, response_url: slack.responseUrl(`cmd-${user}-${Date.now()}`) }));
      expect(res.status).toBe(200);
      return (await res.json()) as { text: string; blocks: unknown[] };
    };
    const refused = await command('reparse fs01 since 1900-01-01', 'U_ALICE');
    expect(JSON.stringify(refused)).toMatch(/more than 31 days back is for admins/);
    const recent = await command(`reparse fs01 since ${new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)}`, 'U_ALICE');
    expect(JSON.stringify(recent)).not.toMatch(/for admins/);
    const admin = await command('reparse fs01 since 2000-01-01', 'U_ADMIN');
    expect(JSON.stringify(admin)).not.toMatch(/for admins/);
    const approver = await command('reparse fs01 since 2000-01-01', 'U_BOSS');
    expect(JSON.stringify(approver)).not.toMatch(/for admins/);
  });
});
