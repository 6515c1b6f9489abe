import type { IncomingMessage, ServerResponse } from 'node:http';
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { audit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { reports } from '../db/schema.ts';
import { serversNamed } from '../fleet/servers.ts';
import { dayIn } from '../reports/days.ts';
import { buildFailureDigest } from '../reports/digest.ts';
import { readRaw } from '../reports/raw.ts';
import { buildNightlySummary } from '../reports/summary.ts';
import { readCookie, SESSION_COOKIE, SESSION_HOURS, sessionCookie, signOidcState, signSession, verify, type Grant } from './auth.ts';
import { authorizeUrl, exchangeCode, identityFrom, OidcError, type OidcSettings } from './slack-oidc.ts';
import { historyData } from './history-query.ts';
import { html, type Html } from './html.ts';
import { serverPageData } from './server-query.ts';
import { addDays, historyGrid, STATE_FILTERS } from './views/history-model.ts';
import { historyPage } from './views/history.ts';
import { layout, STYLESHEET } from './views/layout.ts';
import { digestPage, nightlyPage, notFoundPage, signInPage } from './views/reports.ts';
import { serverPage } from './views/server.ts';

export interface WebDeps {
  db: Db;
  log: Logger;
  tz: string;
  digestDays: number;
  /** Sessions get the Secure flag when the public URL is https. */
  secureCookies: boolean;
  /** Offer `/backup web` on the sign-in page. */
  slackConfigured: boolean;
  /** The signing key (resolved once, lazily: it may live in the database). */
  secret(): Promise<Buffer>;
  /** Sign in with Slack, when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set; teamId is the bot's workspace. */
  oidc?: { settings: OidcSettings; teamId(): Promise<string> } | undefined;
  now?: () => Date;
}

/** Answers a web request; false when the path is not one of the web pages. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/**
 * Servers per page. The month view of 1,000 servers is ~2.7 MB of HTML built in well under
 * half a second; the year view has to weigh a year of results per server, so it pages sooner.
 */
const DEFAULT_PER_PAGE = { month: 1000, year: 200 };
const MAX_PER_PAGE = 5000;

/** Headers every page gets: no scripts at all, no framing, no referrer (links carry tokens), no caching of data. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function sendHtml(res: ServerResponse, status: number, page: Html, extra: Record<string, string> = {}): void {
  const body = page.value;
  res.writeHead(status, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const wantsHtml = (req: IncomingMessage) => /text\/html/.test(req.headers.accept ?? '');

export function createWebRoutes(deps: WebDeps): WebHandler {
  const now = deps.now ?? (() => new Date());

  function refuse(req: IncomingMessage, res: ServerResponse, reason: 'none' | 'expired' | 'invalid'): void {
    if (wantsHtml(req)) {
      sendHtml(res, 401, signInPage(reason, deps.slackConfigured, Boolean(deps.oidc)));
      return;
    }
    const body = JSON.stringify({ error: { code: 'unauthorized', message: 'Sign in first: open a link from "backupbot web-link" or "/backup web" in Slack.' } });
    res.writeHead(401, { ...PAGE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function session(req: IncomingMessage): Promise<Grant | 'none' | 'expired' | 'invalid'> {
    const value = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!value) return 'none';
    const got = verify(await deps.secret(), 's1', value, now());
    return typeof got === 'string' ? (got === 'expired' ? 'expired' : 'invalid') : got;
  }

  async function login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const token = url.searchParams.get('token');
    if (!token) return refuse(req, res, 'none');
    const got = verify(await deps.secret(), 'l1', token, now());
    if (typeof got === 'string') {
      deps.log.info({ reason: got }, 'web sign-in refused');
      return refuse(req, res, got === 'expired' ? 'expired' : 'invalid');
    }
    const expiresAt = new Date(now().getTime() + SESSION_HOURS * 3600_000);
    // Only a path on this site: "//evil.example" or "https://..." would make this an open redirect.
    const target = safeNext(url.searchParams.get('next'));
    deps.log.info({ subject: got.subject }, 'web sign-in');
    res.writeHead(303, { ...PAGE_HEADERS, location: target, 'set-cookie': sessionCookie(signSession(await deps.secret(), got.subject, expiresAt), expiresAt, deps.secureCookies) });
    res.end();
  }

  const OIDC_COOKIE = 'bb_oidc';
  const safeNext = (next: string | null) => (next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/reports/history');

  /** Sign in with Slack, step 1: remember a signed state in a short cookie and send the browser to Slack. */
  async function slackStart(res: ServerResponse, url: URL, oidc: NonNullable<WebDeps['oidc']>): Promise<void> {
    // The destination rides in the signed state; a very long one is dropped rather than refused.
    const next = safeNext(url.searchParams.get('next'));
    const state = signOidcState(await deps.secret(), next.length <= 140 ? next : '/reports/history', new Date(now().getTime() + 10 * 60_000));
    const nonce = state.split('.')[2]!;
    res.writeHead(302, {
      ...PAGE_HEADERS,
      location: authorizeUrl(oidc.settings, state, nonce),
      'set-cookie': `${OIDC_COOKIE}=${state}; Path=/auth/slack; HttpOnly; SameSite=Lax; Max-Age=600${deps.secureCookies ? '; Secure' : ''}`,
    });
    res.end();
  }

  /** Step 2: Slack sends the browser back with a code; the same browser must hold the state cookie. */
  async function slackCallback(req: IncomingMessage, res: ServerResponse, url: URL, oidc: NonNullable<WebDeps['oidc']>): Promise<void> {
    const fail = (problem: string) => sendHtml(res, 401, signInPage('none', deps.slackConfigured, true, problem));
    const state = url.searchParams.get('state') ?? '';
    const cookieState = readCookie(req.headers.cookie, OIDC_COOKIE);
    const grant = verify(await deps.secret(), 'o1', state, now());
    if (!cookieState || cookieState !== state || typeof grant === 'string') return fail('That sign-in attempt is not valid here (started in another browser, expired, or altered). Start again.');
    if (url.searchParams.get('error')) return fail(`Slack did not sign you in (${url.searchParams.get('error')}).`);
    const code = url.searchParams.get('code');
    if (!code) return fail('Slack sent no sign-in code back. Start again.');
    let identity;
    try {
      identity = identityFrom(await exchangeCode(oidc.settings, code), oidc.settings, state.split('.')[2]!, await oidc.teamId(), now());
    } catch (err) {
      if (!(err instanceof OidcError)) throw err;
      deps.log.warn({ reason: err.message }, 'Sign in with Slack refused');
      return fail(err.message);
    }
    const expiresAt = new Date(now().getTime() + SESSION_HOURS * 3600_000);
    deps.log.info({ subject: identity.userId }, 'web sign-in with Slack');
    res.writeHead(303, {
      ...PAGE_HEADERS,
      location: safeNext(grant.subject),
      'set-cookie': [
        sessionCookie(signSession(await deps.secret(), identity.userId, expiresAt), expiresAt, deps.secureCookies),
        `${OIDC_COOKIE}=; Path=/auth/slack; HttpOnly; SameSite=Lax; Max-Age=0${deps.secureCookies ? '; Secure' : ''}`,
      ],
    });
    res.end();
  }

  async function history(res: ServerResponse, url: URL): Promise<void> {
    const p = url.searchParams;
    const today = dayIn(deps.tz, now());
    const yearParam = p.get('year') ?? '';
    const monthParam = p.get('month') ?? '';
    const year = /^\d{4}$/.test(yearParam) ? Number(yearParam) : null;
    const month = !year && /^\d{4}-(0[1-9]|1[0-2])$/.test(monthParam) ? monthParam : year ? null : today.slice(0, 7);
    const from = year ? `${year}-01-01` : `${month}-01`;
    const to = year ? `${year + 1}-01-01` : addDays(`${month}-28`, 4).slice(0, 7) + '-01';
    const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
    const bucketDays = year ? 7 : 1;
    const buckets = Math.ceil(days / bucketDays);
    const state = STATE_FILTERS.find((s) => s === p.get('state'));
    const customer = p.get('customer') || undefined;
    const target = p.get('target') || undefined;
    const defaultPer = year ? DEFAULT_PER_PAGE.year : DEFAULT_PER_PAGE.month;
    const perRaw = Number(p.get('per') ?? defaultPer);
    const perPage = Number.isInteger(perRaw) && perRaw >= 1 ? Math.min(perRaw, MAX_PER_PAGE) : defaultPer;
    const pageRaw = Number(p.get('page') ?? 1);
    const page = Number.isInteger(pageRaw) && pageRaw >= 1 ? pageRaw : 1;
    const data = await historyData(deps.db, { from, to, bucketDays, tz: deps.tz, customer, target, state, page, perPage });
    const groups = historyGrid(data, { from, buckets, bucketDays }, today);
    const axis = Array.from({ length: buckets }, (_, i) => {
      const d = addDays(from, i * bucketDays);
      if (!year) return String(Number(d.slice(8)));
      const prev = i ? addDays(from, (i - 1) * bucketDays) : '';
      return prev.slice(5, 7) !== d.slice(5, 7) ? MONTHS[Number(d.slice(5, 7)) - 1]! : '';
    });
    const query = (change: Record<string, string | null>) => {
      const q = new URLSearchParams();
      const base: Record<string, string | undefined> = { customer, state, target, year: year ? String(year) : undefined, month: month ?? undefined, per: p.get('per') ?? undefined };
      for (const [k, v] of Object.entries({ ...base, ...change })) if (v) q.set(k, v);
      return `/reports/history?${q.toString()}`;
    };
    const earliest = data.servers.reduce<string | null>((min, s) => (s.firstDay && (!min || s.firstDay < min) ? s.firstDay : min), null);
    const prevStart = year ? `${year - 1}-01-01` : addDays(from, -1).slice(0, 7) + '-01';
    const prevWindow = earliest && earliest < from ? (year ? query({ year: String(year - 1), month: null }) : query({ month: prevStart.slice(0, 7) })) : null;
    const nextWindow = to <= today ? (year ? query({ year: String(year + 1), month: null }) : query({ month: to.slice(0, 7) })) : null;
    const zoom = year
      ? { label: 'Show one month', href: query({ year: null, month: year === Number(today.slice(0, 4)) ? today.slice(0, 7) : `${year}-12` }) }
      : { label: 'Show the whole year', href: query({ month: null, year: from.slice(0, 4) }) };
    const pages = Math.max(1, Math.ceil(data.total / perPage));
    sendHtml(
      res,
      200,
      historyPage({
        groups,
        windowLabel: year ? `${year} (by week)` : `${MONTH_NAMES[Number(from.slice(5, 7)) - 1]} ${from.slice(0, 4)}`,
        axis,
        filters: { customer, state, target, month: month ?? undefined, year: year ? String(year) : undefined },
        customers: data.customers,
        targets: data.targets,
        total: data.total,
        page,
        pages,
        links: {
          prevWindow,
          nextWindow,
          zoom,
          prevPage: page > 1 ? query({ page: String(page - 1) }) : null,
          nextPage: page < pages ? query({ page: String(page + 1) }) : null,
        },
      }),
    );
  }

  async function serverDetail(res: ServerResponse, rawName: string, url: URL): Promise<void> {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      return sendHtml(res, 400, notFoundPage('That server name is not valid in a link.'));
    }
    const found = await serversNamed(deps.db, name);
    if (found.length === 0) return sendHtml(res, 404, notFoundPage(`No server is called "${name}".`));
    if (found.length > 1) {
      return sendHtml(
        res,
        200,
        layout(
          { title: name },
          html`<h1>${name}</h1><p>More than one customer has a server with this name:</p><ul>${found.map(
            (s) => html`<li><a href="/servers/${encodeURIComponent(`${s.customerName}/${s.name}`)}">${s.customerName}/${s.name}</a></li>`,
          )}</ul>`,
        ),
      );
    }
    const dayParam = url.searchParams.get('day') ?? '';
    const day = /^\d{4}-\d{2}-\d{2}$/.test(dayParam) && !Number.isNaN(Date.parse(dayParam)) ? dayParam : null;
    const data = await serverPageData(deps.db, found[0]!, name, day, now(), deps.tz);
    sendHtml(res, 200, serverPage(data));
  }

  async function rawReport(res: ServerResponse, id: string, grant: Grant): Promise<void> {
    const [report] = await deps.db.select().from(reports).where(eq(reports.id, Number(id)));
    if (report?.state === 'pruned') return sendHtml(res, 410, notFoundPage(`The raw log of report ${id} was deleted by retention (RETENTION_DAYS); its verdict is kept on the server's page.`));
    if (!report || report.state !== 'stored') return sendHtml(res, 404, notFoundPage(`Report ${id} does not exist or was not stored completely.`));
    await audit(deps.db, `web:${grant.subject}`, 'report.download', report.serverId, { reportId: report.id });
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'content-type': 'application/octet-stream',
      'content-length': String(report.size),
      'content-disposition': `attachment; filename="report-${report.id}-${report.receivedAt.toISOString().slice(0, 10)}.log"`,
    });
    for await (const chunk of readRaw(deps.db, report.id)) {
      if (!res.write(chunk)) await new Promise((ok) => res.once('drain', ok));
    }
    res.end();
  }

  return async (req, res, path) => {
    try {
      return await answer(req, res, path);
    } catch (err) {
      deps.log.error({ err, path }, 'web page failed');
      if (res.headersSent) res.destroy();
      else sendHtml(res, 503, layout({ title: 'Unavailable' }, html`<h1>Not available right now</h1><p>The page could not be built (the database may be busy or down). Try again in a minute; if it persists, check the service log and GET /healthz.</p>`));
      return true;
    }
  };

  async function answer(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (path === '/web/style.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
      res.end(STYLESHEET);
      return true;
    }
    if (path === '/login') {
      await login(req, res, url);
      return true;
    }
    if (path === '/auth/slack' || path === '/auth/slack/callback') {
      if (!deps.oidc) return false;
      if (path === '/auth/slack') await slackStart(res, url, deps.oidc);
      else await slackCallback(req, res, url, deps.oidc);
      return true;
    }
    if (path === '/logout') {
      res.writeHead(303, { ...PAGE_HEADERS, location: '/login', 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${deps.secureCookies ? '; Secure' : ''}` });
      res.end();
      return true;
    }
    const serverMatch = /^\/servers\/([^/]+)$/.exec(path);
    const rawMatch = /^\/reports\/(\d{1,15})\/raw$/.exec(path);
    const known = ['/reports/history', '/reports/nightly', '/reports/digest', '/'].includes(path) || serverMatch || rawMatch;
    if (!known) return false;
    const grant = await session(req);
    if (typeof grant === 'string') {
      refuse(req, res, grant);
      return true;
    }
    if (path === '/') {
      res.writeHead(303, { ...PAGE_HEADERS, location: '/reports/history' });
      res.end();
    } else if (path === '/reports/history') await history(res, url);
    else if (path === '/reports/nightly') sendHtml(res, 200, nightlyPage(await buildNightlySummary(deps.db, now()), deps.tz));
    else if (path === '/reports/digest') sendHtml(res, 200, digestPage(await buildFailureDigest(deps.db, now(), deps.digestDays, deps.tz), deps.tz));
    else if (serverMatch) await serverDetail(res, serverMatch[1]!, url);
    else if (rawMatch) await rawReport(res, rawMatch[1]!, grant);
    return true;
  }
}
