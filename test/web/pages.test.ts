import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { signInUrl, signLink, signSession, webSecret } from '../../src/web/auth.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.ts';
import { PST_LOG, seedWebFleet } from './fixtures.ts';

const SIGNING = 'test-signing-secret';

describe.each(DATABASES)('web pages over HTTP on %s', (_kind, open) => {
  let t: TestDb;
  let svc: Service;
  let slack: SlackStandIn;
  let cookie: string;
  let seeded: Awaited<ReturnType<typeof seedWebFleet>>;

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${svc.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie, ...headers } });

  beforeAll(async () => {
    t = await open();
    slack = await startSlackStandIn();
    svc = await startTestService(t.database, { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SIGNING, SLACK_API_URL: slack.url });
    seeded = await seedWebFleet(t.database, svc.url);
    const { url } = signInUrl(svc.url, await webSecret(t.database.db, undefined), 'cli', 1);
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  });
  afterAll(async () => {
    await svc?.stop();
    await slack?.close();
    await t?.dispose();
  });

  it('keeps one generated signing key in the database for every replica', async () => {
    const a = await webSecret(t.database.db, undefined);
    const b = await webSecret(t.database.db, undefined);
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(true);
  });

  it('signs in with a link: a session cookie (HttpOnly, SameSite=Lax, not Secure over http) and a redirect', async () => {
    const { url } = signInUrl(svc.url, await webSecret(t.database.db, undefined), 'cli', 1);
    const res = await fetch(`${url}&next=/reports/nightly`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports/nightly');
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^bb_session=s1\./);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).not.toContain('Secure');
    // Only paths on this site: no open redirect.
    const evil = await fetch(`${signInUrl(svc.url, await webSecret(t.database.db, undefined), 'cli', 1).url}&next=//evil.example/x`, { redirect: 'manual' });
    expect(evil.headers.get('location')).toBe('/reports/history');
  });

  it('shows no data without a valid session: the sign-in page for browsers, 401 JSON for others', async () => {
    const key = await webSecret(t.database.db, undefined);
    const forged = signSession(Buffer.from('not-the-key-'.repeat(4)), 'cli', new Date(Date.now() + 3600_000));
    const expired = signSession(key, 'cli', new Date(Date.now() - 1000));
    const good = cookie.split('=')[1]!;
    const tampered = good.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 86400}.`);
    for (const path of ['/reports/history', '/reports/nightly', '/reports/digest', '/servers/fs01', `/reports/${seeded.reportId}/raw`]) {
      for (const c of ['', `bb_session=${forged}`, `bb_session=${expired}`, `bb_session=${tampered}`, 'bb_session=garbage']) {
        const page = await get(path, { cookie: c });
        expect(page.status, `${path} with "${c}"`).toBe(401);
        const text = await page.text();
        expect(text).toContain('Sign in');
        expect(text).not.toContain('fs01');
        expect(text).not.toContain('Acorn');
        const api = await get(path, { cookie: c, accept: 'application/json' });
        expect(api.status).toBe(401);
        expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }
    }
  });

  it('shows the sign-in page at /login without a token, and /logout ends the session', async () => {
    const bare = await fetch(`${svc.url}/login`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(bare.status).toBe(401);
    expect(await bare.text()).toContain('These pages are private');
    const out = await get('/logout');
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^bb_session=; .*Max-Age=0/);
  });

  it('refuses an expired or tampered link with the sign-in page and sets no cookie', async () => {
    const key = await webSecret(t.database.db, undefined);
    const expired = await fetch(`${svc.url}/login?token=${signLink(key, 'cli', new Date(Date.now() - 1000))}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('set-cookie')).toBeNull();
    expect(await expired.text()).toContain('expired');
    const token = signLink(key, 'cli', new Date(Date.now() + 3600_000));
    const tampered = await fetch(`${svc.url}/login?token=${token.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 1}.`)}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get('set-cookie')).toBeNull();
    expect(await tampered.text()).toContain('not valid');
  });

  it('draws the month heatmap with a cell per day in the right state, linking to the server on that day', async () => {
    const res = await get(`/reports/history?month=${seeded.month}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    const cell = (day: number) => {
      const d = `${seeded.month}-${String(day).padStart(2, '0')}`;
      const m = new RegExp(`<a class="c (\\w)" href="/servers/fs01\\?day=${d}" title="([^"]*)"`).exec(page);
      return m ? { cls: m[1], title: m[2] } : null;
    };
    expect(cell(1)).toEqual({ cls: 'o', title: expect.stringContaining('ok · rsync 0 · Success') });
    expect(cell(2)).toEqual({ cls: 'f', title: expect.stringContaining('failed · rsync 23') });
    expect(cell(3)?.cls).toBe('i');
    expect(cell(4)).toEqual({ cls: 'e', title: expect.stringContaining('ok by exceptions') });
    expect(cell(5)?.cls).toBe('m');
    expect(cell(6)).toEqual({ cls: 'a', title: expect.stringContaining('failed, acknowledged · rsync 12') });
    expect(cell(7)?.cls).toBe('n');
    expect(page).toMatch(/<h2>Acorn Dental<\/h2>[\s\S]*<h2>Beta Law<\/h2>/);
  });

  it('filters by customer, state and backup target, and zooms out to the year by week', async () => {
    const only = async (q: string) => {
      const page = await (await get(`/reports/history?month=${seeded.month}&${q}`)).text();
      return ['fs01', 'fs02', 'db01'].filter((n) => page.includes(`class="name" href="/servers/${n}"`));
    };
    expect(await only('customer=Beta+Law')).toEqual(['db01']);
    expect(await only('state=failed')).toEqual(['fs01']);
    expect(await only('state=acknowledged')).toEqual(['fs01']);
    expect(await only('target=custbak2')).toEqual(['db01']);
    expect(await only('target=custbak1')).toEqual(['fs01', 'fs02']);
    const year = await (await get(`/reports/history?year=${seeded.month.slice(0, 4)}`)).text();
    expect(year).toContain('(by week)');
    // The week holding days 1-6 shows its worst day: the latest failure (day 6, acknowledged).
    expect(year).toMatch(new RegExp(`<a class="c a" href="/servers/fs01\\?day=${seeded.month}-06" title="${seeded.month}-06: failed, acknowledged`));
  });

  it('shows a server: verdict, escaped file errors, exceptions, acknowledgements and every report', async () => {
    const page = await (await get(`/servers/fs01?day=${seeded.month}-06`)).text();
    expect(page).toContain('rsync 23');
    expect(page).toContain('What to do:');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.pst');
    expect(page).toContain('*.pst&lt;img src=x&gt;');
    expect(page).toContain('Outlook holds it &lt;i&gt;open&lt;/i&gt;');
    expect(page).toContain('on it &lt;b&gt;now&lt;/b&gt;');
    expect(page).not.toMatch(/<script|<img|<i>open|<b>now/);
    expect(page).toContain(`href="/reports/${seeded.reportId}/raw"`);
    expect(page).toContain('Error in rsync protocol data stream');
    expect(page).toMatch(/<svg class="chart"[^>]*role="img"/);
  });

  it('downloads a raw report byte for byte, as an attachment, and audits it', async () => {
    const res = await get(`/reports/${seeded.reportId}/raw`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="report-\d+-\d{4}-\d{2}-\d{2}\.log"$/);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer()).equals(PST_LOG)).toBe(true);
    const audit = await (await get('/servers/fs01')).text();
    expect(audit).toContain('web:cli · report.download');
    expect((await get('/reports/999999/raw')).status).toBe(404);
  });

  it('serves the nightly and digest reports built by the Slack posts’ builders', async () => {
    const nightly = await (await get('/reports/nightly')).text();
    expect(nightly).toContain('Nightly backup report');
    expect(nightly).toMatch(/<span class="state failed">1<\/span> failed/);
    expect(nightly).toContain('href="/servers/fs01"');
    const digest = await (await get('/reports/digest')).text();
    expect(digest).toContain('Servers failing 3+ days');
  });

  it('answers /backup web with a personal, ephemeral link that signs in', async () => {
    const body = slashCommandBody({ text: 'web', user_id: 'U_BOB', response_url: slack.responseUrl('cmd') });
    const res = await fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest(SIGNING, body) });
    const reply = (await res.json()) as { response_type: string; text: string };
    expect(reply.response_type).toBe('ephemeral');
    const url = /(http:\/\/localhost:\d+\/login\?token=[\w.-]+)/.exec(reply.text)?.[1];
    expect(url).toBeDefined();
    const login = await fetch(url!.replace(/^http:\/\/localhost:\d+/, svc.url), { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toMatch(/^bb_session=s1\./);
  });

  it('leaves other paths to the upload API: unknown paths still get its 404', async () => {
    const res = await fetch(`${svc.url}/nope`);
    expect(res.status).toBe(404);
  });
});
