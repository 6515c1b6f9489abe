import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { emailJobs } from '../../src/email/jobs.ts';
import { smtpMailer } from '../../src/email/mailer.ts';
import { createLogger } from '../../src/log.ts';
import { getRun } from '../../src/schedule/ledger.ts';
import { createScheduler } from '../../src/schedule/scheduler.ts';
import { logPublisher } from '../../src/slack/publish.ts';
import { DATABASES, type TestDb } from '../helpers/db.ts';
import { startTestService } from '../helpers/service.ts';
import { seedWebFleet } from '../web/fixtures.ts';

interface Received {
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback that keeps what it receives; `reject` answers the next messages with an SMTP error. */
async function startSmtp(opts: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const failures: Array<{ code: number; message: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const fail = failures.shift();
        if (fail) return done(Object.assign(new Error(fail.message), { responseCode: fail.code }));
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        done();
      });
    },
    ...opts,
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.server.address() as AddressInfo).port;
  return { received, failures, url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** Undoes quoted-printable soft breaks and escapes, enough to search the parts for links. */
const decodeQp = (s: string) => s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

const SLOT_NIGHTLY = new Date('2026-11-20T07:00:00Z');
const SLOT_DIGEST = new Date('2026-11-20T08:00:00Z');

describe.each(DATABASES)('emailed reports on %s', (_kind, open) => {
  let t: TestDb;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await open();
    smtp = await startSmtp();
    env = {
      SMTP_URL: smtp.url,
      REPORT_EMAIL_TO: 'support@example.net, lead@example.net',
      REPORT_EMAIL_FROM: 'backupbot <bot@example.net>',
      PUBLIC_URL: 'https://backupbot.example.net',
      NIGHTLY_CRON: '0 7 * * *',
      DIGEST_CRON: '0 8 * * *',
    };
    const svc = await startTestService(t.database, env);
    await seedWebFleet(t.database, svc.url);
    await svc.stop();
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.dispose();
  });

  it('sends exactly one nightly and one digest per slot, with both parts and the links, across a restart', async () => {
    for (let round = 0; round < 2; round++) {
      // A fresh service each round: the second is the restart (or a second replica).
      const svc = await startTestService(t.database, env);
      await svc.scheduler.tick(new Date(SLOT_NIGHTLY.getTime() + 30_000));
      await svc.scheduler.tick(new Date(SLOT_DIGEST.getTime() + 30_000));
      await svc.stop();
    }
    expect(smtp.received).toHaveLength(2);
    const [nightly, digest] = smtp.received.map((m) => ({ ...m, raw: decodeQp(m.raw) }));
    for (const m of [nightly!, digest!]) {
      expect(m.to).toEqual(['support@example.net', 'lead@example.net']);
      expect(m.raw).toMatch(/Content-Type: text\/plain/i);
      expect(m.raw).toMatch(/Content-Type: text\/html/i);
      expect(m.raw).toContain('https://backupbot.example.net/reports/history');
      expect(m.raw).not.toContain('href="/');
    }
    // The subject has a middle dot, so it arrives as a MIME encoded word.
    expect(nightly!.raw).toMatch(/Subject: (=\?UTF-8\?Q\?)?Nightly[ _]backup[ _]report/i);
    expect(nightly!.raw).toContain('href="https://backupbot.example.net/servers/fs01"');
    expect(nightly!.raw).toContain('This report in the browser: https://backupbot.example.net/reports/nightly');
    expect(digest!.raw).toMatch(/Subject: (=\?UTF-8\?Q\?)?Servers[ _]failing[ _]3(\+|=2B)[ _]days/i);
    expect((await getRun(t.database.db, 'nightly-email', SLOT_NIGHTLY))?.state).toBe('done');
    expect((await getRun(t.database.db, 'digest-email', SLOT_DIGEST))?.state).toBe('done');
  });

  it('retries a temporary SMTP failure and sends the same message once it is accepted', async () => {
    const config = loadConfig(env);
    const mailer = smtpMailer(smtp.url, config.REPORT_EMAIL_FROM, config.REPORT_EMAIL_TO!);
    const log = createLogger('silent');
    const jobs = emailJobs(config, mailer, log, t.database.db);
    // Lease 0: a run left "running" by a failure can be taken again at once.
    const scheduler = createScheduler({ db: t.database.db, log, publisher: logPublisher(log, () => {}), jobs, tz: 'UTC', catchupMs: 0, leaseMs: 0 });
    const slot = new Date('2026-11-21T07:00:00Z');
    const before = smtp.received.length;
    smtp.failures.push({ code: 451, message: 'Try again later' });
    expect(await scheduler.runSlot(jobs[0]!, slot)).toBe('failed');
    expect((await getRun(t.database.db, 'nightly-email', slot))?.state).toBe('running');
    await new Promise((r) => setTimeout(r, 20));
    expect(await scheduler.runSlot(jobs[0]!, slot)).toBe('posted');
    expect(await scheduler.runSlot(jobs[0]!, slot)).toBe('skipped');
    expect(smtp.received.length - before).toBe(1);
    const run = await getRun(t.database.db, 'nightly-email', slot);
    expect(run).toMatchObject({ state: 'done', attempts: 2 });
    mailer.close();
  });

  it('gives up on a refused login at once, saying to check SMTP_URL', async () => {
    const locked = await startSmtp({ authOptional: false, allowInsecureAuth: true, onAuth: (_auth, _session, cb) => cb(new Error('Invalid username or password')) });
    const config = loadConfig({ ...env, SMTP_URL: locked.url.replace('smtp://', 'smtp://bob:wrong@') });
    const mailer = smtpMailer(config.SMTP_URL!, config.REPORT_EMAIL_FROM, config.REPORT_EMAIL_TO!);
    const log = createLogger('silent');
    const jobs = emailJobs(config, mailer, log, t.database.db);
    const scheduler = createScheduler({ db: t.database.db, log, publisher: logPublisher(log, () => {}), jobs, tz: 'UTC', catchupMs: 0, leaseMs: 0 });
    const slot = new Date('2026-11-22T08:00:00Z');
    expect(await scheduler.runSlot(jobs[1]!, slot)).toBe('failed');
    const run = await getRun(t.database.db, 'digest-email', slot);
    expect(run?.state).toBe('failed');
    expect(run?.error).toContain('check the user and password in SMTP_URL');
    expect(locked.received).toHaveLength(0);
    mailer.close();
    await locked.close();
  });
});

describe('email settings', () => {
  it('asks for REPORT_EMAIL_TO when only SMTP_URL is set, and checks the addresses', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.net:587' })).toThrow(/REPORT_EMAIL_TO is required too/);
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example.net:587', REPORT_EMAIL_TO: 'not an address' })).toThrow(/REPORT_EMAIL_TO must be one or more email addresses/);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.net', REPORT_EMAIL_TO: 'a@b.c' })).toThrow(/SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
  });
});
