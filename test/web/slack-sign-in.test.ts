import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { identityFrom } from '../../src/web/slack-oidc.ts';
import { pgliteDb, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { OIDC_CLIENT, startSlackStandIn, STANDIN_IDS, type SlackStandIn } from '../helpers/slack-standin.ts';
import { seedWebFleet } from './fixtures.ts';

describe('Sign in with Slack (OpenID Connect) against the Slack stand-in', () => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;

  beforeAll(async () => {
    t = await pgliteDb();
    slack = await startSlackStandIn();
    svc = await startTestService(t.database, {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'test-signing-secret',
      SLACK_API_URL: slack.url,
      SLACK_CLIENT_ID: OIDC_CLIENT.id,
      SLACK_CLIENT_SECRET: OIDC_CLIENT.secret,
      PUBLIC_URL: 'http://backupbot.test',
    });
    await seedWebFleet(t.database, svc.url);
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  /** Step 1: /auth/slack, which sends the browser to Slack with a state and nonce, and sets the state cookie. */
  async function start(next = '/reports/digest') {
    const res = await fetch(`${svc.url}/auth/slack?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    return { to, cookie, state: to.searchParams.get('state')!, nonce: to.searchParams.get('nonce')! };
  }
  const callback = (q: Record<string, string>, cookie: string) =>
    fetch(`${svc.url}/auth/slack/callback?${new URLSearchParams(q).toString()}`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });

  it('offers the button on the sign-in page and sends the browser to Slack with this app, scope and callback', async () => {
    const page = await (await fetch(`${svc.url}/reports/history`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('href="/auth/slack"');
    const { to, cookie } = await start();
    expect(`${to.origin}${to.pathname}`).toBe(new URL('/openid/connect/authorize', slack.url).toString());
    expect(to.searchParams.get('client_id')).toBe(OIDC_CLIENT.id);
    expect(to.searchParams.get('scope')).toBe('openid profile');
    expect(to.searchParams.get('redirect_uri')).toBe('http://backupbot.test/auth/slack/callback');
    expect(cookie).toMatch(/^bb_oidc=o1\./);
  });

  it('signs a workspace member in and goes where they were headed', async () => {
    const { state, nonce, cookie } = await start('/reports/digest');
    const res = await callback({ code: slack.oidcCode('U_CAROL', nonce), state }, cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports/digest');
    const session = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(session).toMatch(/^bb_session=s1\./);
    const page = await fetch(`${svc.url}/reports/digest`, { headers: { cookie: session, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(slack.callsTo('openid.connect.token')[0]!.body).toMatchObject({ client_id: OIDC_CLIENT.id, redirect_uri: 'http://backupbot.test/auth/slack/callback' });
  });

  it('refuses a member of another workspace, a replayed or foreign state, and a code for another nonce', async () => {
    const a = await start();
    const other = await callback({ code: slack.oidcCode('U_EVE', a.nonce, 'T_OTHER'), state: a.state }, a.cookie);
    expect(other.status).toBe(401);
    expect(other.headers.get('set-cookie')).toBeNull();
    expect(await other.text()).toContain('another Slack workspace');

    const b = await start();
    // A state that this browser did not start (no cookie, or another attempt's cookie).
    expect((await callback({ code: slack.oidcCode('U_CAROL', b.nonce), state: b.state }, '')).status).toBe(401);
    expect((await callback({ code: slack.oidcCode('U_CAROL', b.nonce), state: b.state }, a.cookie)).status).toBe(401);

    const c = await start();
    const wrongNonce = await callback({ code: slack.oidcCode('U_CAROL', 'not-the-nonce'), state: c.state }, c.cookie);
    expect(wrongNonce.status).toBe(401);
    expect(await wrongNonce.text()).toContain('nonce');

    const d = await start();
    const denied = await callback({ error: 'access_denied', state: d.state }, d.cookie);
    expect(denied.status).toBe(401);
    expect(await denied.text()).toContain('access_denied');
  });

  it('checks the ID token claims it relies on', () => {
    const settings = { clientId: OIDC_CLIENT.id, clientSecret: 'x', apiUrl: 'https://slack.com/api/', base: 'https://b' };
    const now = new Date();
    const token = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    const good = { iss: 'https://slack.com', aud: OIDC_CLIENT.id, sub: 'U1', nonce: 'n', exp: Math.floor(now.getTime() / 1000) + 60, 'https://slack.com/team_id': STANDIN_IDS.teamId };
    expect(identityFrom(token(good), settings, 'n', STANDIN_IDS.teamId, now).userId).toBe('U1');
    expect(() => identityFrom(token({ ...good, iss: 'https://evil.example' }), settings, 'n', STANDIN_IDS.teamId, now)).toThrow(/not https:\/\/slack.com/);
    expect(() => identityFrom(token({ ...good, aud: 'other-app' }), settings, 'n', STANDIN_IDS.teamId, now)).toThrow(/another Slack app/);
    expect(() => identityFrom(token({ ...good, exp: 1 }), settings, 'n', STANDIN_IDS.teamId, now)).toThrow(/expired/);
    expect(() => identityFrom('garbage', settings, 'n', STANDIN_IDS.teamId, now)).toThrow(/not a JWT/);
  });
});
