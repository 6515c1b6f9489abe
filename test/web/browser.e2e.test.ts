import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.ts';
import { signLink, webSecret } from '../../src/web/auth.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';
import { runCli } from '../helpers/process.ts';
import { startTestService } from '../helpers/service.ts';
import { PST_LOG, seedWebFleet } from './fixtures.ts';

const SHOTS = join(import.meta.dirname, '../../test-output/screenshots');
const CHROMIUM = '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The palette the legend promises, as the browser computes it. */
const COLOURS = {
  ok: 'rgb(0, 158, 115)',
  exc: 'rgb(86, 180, 233)',
  failed: 'rgb(213, 94, 0)',
  incomplete: 'rgb(230, 159, 0)',
  missing: 'rgb(204, 121, 167)',
  ack: 'rgb(240, 228, 66)',
  none: 'rgb(255, 255, 255)',
};

/** The few browser globals the page functions use (this project compiles without the DOM library). */
interface BrowserGlobals {
  getComputedStyle(el: unknown): { backgroundColor: string };
}
/** Whether the page fits the viewport's width (only inner regions such as the heatmap may scroll sideways). */
const FITS_WIDTH = 'document.documentElement.scrollWidth <= window.innerWidth + 1';

interface AxeResult {
  testEngine: { name: string };
  passes: unknown[];
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }>;
}

describe('web pages in headless Chromium (Postgres)', () => {
  let t: TestDb;
  let svc: Service;
  let browser: Browser;
  let context: BrowserContext;
  let seeded: Awaited<ReturnType<typeof seedWebFleet>>;
  const consoleErrors: string[] = [];

  async function newPage(ctx = context): Promise<Page> {
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    return page;
  }

  /** axe-core run inside the page (evaluated over the debugging protocol, so the page's CSP still forbids scripts). */
  async function serious(page: Page): Promise<string[]> {
    await page.evaluate(axeSource);
    const result = (await page.evaluate('axe.run(document)')) as AxeResult;
    // Proof the check ran: axe answered and passed some rules on this page.
    expect(result.testEngine.name).toBe('axe-core');
    expect(result.passes.length).toBeGreaterThan(5);
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes, e.g. ${JSON.stringify(v.nodes[0]?.target)})`);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await postgresDb();
    svc = await startTestService(t.database, {});
    seeded = await seedWebFleet(t.database, svc.url);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    await t?.dispose();
  });

  it('signs in with the link `backupbot web-link` prints and lands on the history without the token in the address', async () => {
    const cli = await runCli(['web-link', '--hours', '1'], { DATABASE_URL: t.url!, PUBLIC_URL: svc.url, LOG_LEVEL: 'silent' });
    expect(cli.code, cli.stderr).toBe(0);
    const link = cli.stdout.trim();
    expect(link).toMatch(new RegExp(`^${svc.url.replace(/[.:/]/g, '\\$&')}/login\\?token=l1\\.`));
    const page = await newPage();
    await page.goto(link);
    expect(new URL(page.url()).pathname).toBe('/reports/history');
    expect(page.url()).not.toContain('token');
    await expect(page.locator('h1').textContent()).resolves.toBe('Backup history');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'bb_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
    await page.close();
  });

  it('colours the heatmap by state, and a cell leads to the server on that day', async () => {
    const page = await newPage();
    await page.goto(`${svc.url}/reports/history?month=${seeded.month}`);
    const day = (n: number) => `${seeded.month}-${String(n).padStart(2, '0')}`;
    const colour = (n: number) => page.locator(`a.c[href="/servers/fs01?day=${day(n)}"]`).evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor);
    expect(await colour(1)).toBe(COLOURS.ok);
    expect(await colour(2)).toBe(COLOURS.failed);
    expect(await colour(3)).toBe(COLOURS.incomplete);
    expect(await colour(4)).toBe(COLOURS.exc);
    expect(await colour(5)).toBe(COLOURS.missing);
    expect(await colour(6)).toBe(COLOURS.ack);
    expect(await colour(7)).toBe(COLOURS.none);
    // Hover text says day, code and meaning.
    await expect(page.locator(`a.c[href="/servers/fs01?day=${day(2)}"]`).getAttribute('title')).resolves.toBe(`${day(2)}: failed · rsync 23 · Partial transfer due to error`);
    await page.screenshot({ path: join(SHOTS, 'history-month.png'), fullPage: true });
    expect(await serious(page)).toEqual([]);

    await page.locator(`a.c[href="/servers/fs01?day=${day(2)}"]`).click();
    await page.waitForURL(`**/servers/fs01?day=${day(2)}`);
    await expect(page.locator('h1').textContent()).resolves.toContain('fs01');
    await expect(page.locator(`h2:has-text("${day(2)}")`).count()).resolves.toBe(1);
    await expect(page.locator('main').textContent()).resolves.toContain('Partial transfer due to error');
    await page.screenshot({ path: join(SHOTS, 'server.png'), fullPage: true });
    expect(await serious(page)).toEqual([]);
    await page.close();
  });

  it('downloads a raw log with exactly the bytes that were uploaded', async () => {
    const page = await newPage();
    await page.goto(`${svc.url}/servers/fs01`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`a[href="/reports/${seeded.reportId}/raw"]`).click()]);
    expect(download.suggestedFilename()).toMatch(/^report-\d+-\d{4}-\d{2}-\d{2}\.log$/);
    const saved = await download.path();
    expect(readFileSync(saved).equals(PST_LOG)).toBe(true);
    await page.close();
  });

  it('shows the year, nightly and digest pages and the phone layout without serious accessibility problems', async () => {
    const page = await newPage();
    for (const [path, shot] of [
      [`/reports/history?year=${seeded.month.slice(0, 4)}`, 'history-year.png'],
      ['/reports/nightly', 'nightly.png'],
      ['/reports/digest', 'digest.png'],
    ] as const) {
      const res = await page.goto(`${svc.url}${path}`);
      expect(res?.status()).toBe(200);
      await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
      expect(await serious(page), path).toEqual([]);
    }
    await page.close();
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.addCookies(await context.cookies());
    const p = await newPage(phone);
    await p.goto(`${svc.url}/reports/history?month=${seeded.month}`);
    // Nothing but the heatmap itself scrolls sideways on a phone.
    expect(await p.evaluate(FITS_WIDTH)).toBe(true);
    await p.screenshot({ path: join(SHOTS, 'history-phone.png'), fullPage: true });
    await p.goto(`${svc.url}/servers/fs01`);
    expect(await p.evaluate(FITS_WIDTH)).toBe(true);
    await p.screenshot({ path: join(SHOTS, 'server-phone.png'), fullPage: true });
    await phone.close();
  });

  it('had no console errors on any signed-in page', () => {
    expect(consoleErrors).toEqual([]);
  });

  it('refuses an expired or tampered link with the sign-in page, in a fresh browser', async () => {
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    const key = await webSecret(t.database.db, undefined);
    const expired = await page.goto(`${svc.url}/login?token=${signLink(key, 'cli', new Date(Date.now() - 60_000))}`);
    expect(expired?.status()).toBe(401);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    await expect(page.locator('main').textContent()).resolves.toContain('expired');
    const good = signLink(key, 'cli', new Date(Date.now() + 3600_000));
    const tampered = await page.goto(`${svc.url}/login?token=${good.slice(0, -3)}abc`);
    expect(tampered?.status()).toBe(401);
    await expect(page.locator('main').textContent()).resolves.toContain('not valid');
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
    expect(await serious(page)).toEqual([]);
    const history = await page.goto(`${svc.url}/reports/history`);
    expect(history?.status()).toBe(401);
    await expect(page.locator('main').textContent()).resolves.not.toContain('fs01');
    expect(await fresh.cookies()).toEqual([]);
    await fresh.close();
  });
});
