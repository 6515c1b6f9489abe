import { z } from 'zod';
import { ConfigError } from './errors.ts';

export { ConfigError };

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const cronField = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((v) => v.split(/\s+/).length >= 5 && v.split(/\s+/).length <= 6, {
      message: 'must be a cron expression with 5 or 6 fields, e.g. "0 7 * * *"',
    });

const integer = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(min)
    .max(max)
    .default(fallback);

/** Every environment variable backupbot reads, validated once at start. */
export const configSchema = z.object({
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
      .optional(),
  ),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  PORT: integer(3000, 0, 65535),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  MAX_REPORT_BYTES: integer(512 * 1024 * 1024, 1, 2 ** 40),
  TZ: z
    .string()
    .trim()
    .default('UTC')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Oslo or UTC' }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: optional.pipe(z.string().startsWith('xoxb-', { message: 'must start with xoxb-' }).optional()),
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional.pipe(z.string().startsWith('xapp-', { message: 'must start with xapp-' }).optional()),
  SLACK_API_URL: z.string().trim().url({ message: 'must be a URL such as https://slack.com/api/' }).default('https://slack.com/api/'),
  SLACK_SUMMARY_CHANNEL: optional,
  SLACK_FAILURE_CHANNEL: optional,
  SLACK_APPROVALS_CHANNEL: optional,
  SLACK_APPROVER_GROUP: optional,
  SLACK_ESCALATION_GROUP: optional,
  NIGHTLY_CRON: cronField('0 7 * * *'),
  DIGEST_CRON: cronField('0 8 * * *'),
  /** A server appears in the failure digest after this many days without a good backup. */
  DIGEST_DAYS: integer(3, 1, 365),
  /** TSR3 is pinged when this many servers on one backup target fail or go missing in a night. */
  ESCALATION_TARGET_THRESHOLD: integer(3, 2, 10_000),
  /** A scheduled post missed while the bot was down is still made if it is at most this old. */
  CATCHUP_HOURS: integer(12, 0, 24 * 7),
  /** Who may reparse far back from Slack (besides SLACK_APPROVER_GROUP): a user-group id or user ids. */
  SLACK_ADMIN_GROUP: optional,
  /** How far an upload's X-Started-At / X-Finished-At may lie ahead of this server's clock. */
  CLOCK_SKEW_MINUTES: integer(15, 0, 24 * 60),
  /** Uploads claiming to have finished longer ago than this are refused (a wrong clock or an old log). */
  MAX_REPORT_AGE_DAYS: integer(30, 1, 3650),
  /** The same body with the same time headers within this many minutes is a retry, not a new night. */
  RETRY_WINDOW_MINUTES: integer(10, 0, 24 * 60),
  /** An upload repeating an Idempotency-Key (with the same body) within this many hours is a retry. */
  IDEMPOTENCY_KEY_HOURS: integer(24, 1, 24 * 30),
  /** An upload whose body sends nothing for this many seconds is cut off with 408. */
  UPLOAD_STALL_SECONDS: integer(60, 1, 3600),
  /** Slowest accepted average upload rate (bytes per second), checked once UPLOAD_STALL_SECONDS have passed. */
  UPLOAD_MIN_BYTES_PER_SECOND: integer(512, 0, 1024 * 1024 * 1024),
  /** Uploads one server token may have in progress at once; more get 429. */
  UPLOAD_MAX_PER_TOKEN: integer(20, 1, 10_000),
  /** An idle keep-alive connection is closed after this many seconds. */
  HTTP_KEEPALIVE_SECONDS: integer(5, 1, 600),
  /**
   * Raw log bytes and posted-message bookkeeping older than this many days are deleted every
   * night (verdicts are kept forever). Unset: keep everything.
   */
  RETENTION_DAYS: optional.pipe(z.string().regex(/^[1-9]\d{0,4}$/, { message: 'must be a whole number of days (1 or more), or unset to keep everything' }).transform(Number).optional()),
  /** Postgres: give up connecting after this many milliseconds. */
  DB_CONNECT_TIMEOUT_MS: integer(2000, 100, 600_000),
  /** Longest a single database statement may run (server-side statement_timeout too). */
  DB_STATEMENT_TIMEOUT_MS: integer(15_000, 100, 3_600_000),
  /** How often the service checks that the database answers; uploads get 503 at once while it does not. */
  DB_HEALTH_INTERVAL_MS: integer(500, 50, 60_000),
  /** Where people reach the web pages (links in Slack, email and `web-link`); default http://localhost:PORT. */
  PUBLIC_URL: optional.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an http:// or https:// base URL without query, such as https://backupbot.example.net' })
      .optional(),
  ),
  /** Signs web links and session cookies; unset: a random key is generated once and kept in the database. */
  WEB_SECRET: optional.pipe(z.string().min(32, { message: 'must be at least 32 characters (e.g. openssl rand -base64 48)' }).optional()),
  /** Sign in with Slack (OpenID Connect): the app's Client ID and Client Secret (Basic Information page). */
  SLACK_CLIENT_ID: optional,
  SLACK_CLIENT_SECRET: optional,
  /** Mail server for the emailed nightly and digest reports, e.g. smtp://user:pass@mail.example.net:587 or smtps://... */
  SMTP_URL: optional.pipe(z.string().regex(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.net:587' }).optional()),
  /** Who gets the emailed reports: one address or several, separated by commas. */
  REPORT_EMAIL_TO: optional.pipe(
    z
      .string()
      .refine((v) => v.split(',').every((a) => /^[^\s@,]+@[^\s@,]+$/.test(a.trim())), { message: 'must be one or more email addresses separated by commas' })
      .optional(),
  ),
  /** The sender of the emailed reports. */
  REPORT_EMAIL_FROM: z.string().trim().min(3).default('backupbot <backupbot@localhost>'),
  /** A finished run whose files or size fell this many percent below its baseline median is suspect. */
  SUSPECT_DROP_PERCENT: integer(50, 1, 99),
  /** A finished run shorter than this percentage of its baseline median duration is suspect. */
  SUSPECT_SHORT_PERCENT: integer(20, 1, 99),
  /** Good runs a server needs before drops and short runs are judged (the learning period). */
  SUSPECT_MIN_RUNS: integer(5, 1, 1000),
  /** How many of a server's last good runs make its baseline. */
  SUSPECT_WINDOW: integer(14, 1, 1000),
});

export type Config = z.infer<typeof configSchema>;

/** Settings that only make sense together. */
const checkedSchema = configSchema.superRefine((c, ctx) => {
  if (c.SLACK_BOT_TOKEN && !c.SLACK_APP_TOKEN && !c.SLACK_SIGNING_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['SLACK_SIGNING_SECRET'],
      message: 'is required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    });
  }
  if (Boolean(c.SLACK_CLIENT_ID) !== Boolean(c.SLACK_CLIENT_SECRET)) {
    ctx.addIssue({ code: 'custom', path: [c.SLACK_CLIENT_ID ? 'SLACK_CLIENT_SECRET' : 'SLACK_CLIENT_ID'], message: 'is required too: Sign in with Slack needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET' });
  }
  if (c.SLACK_CLIENT_ID && !c.SLACK_BOT_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is required for Sign in with Slack (it tells which workspace may sign in)' });
  }
  if (Boolean(c.SMTP_URL) !== Boolean(c.REPORT_EMAIL_TO)) {
    ctx.addIssue({
      code: 'custom',
      path: [c.SMTP_URL ? 'REPORT_EMAIL_TO' : 'SMTP_URL'],
      message: 'is required too: reports are emailed only when both SMTP_URL and REPORT_EMAIL_TO are set',
    });
  }
  if (c.SUSPECT_MIN_RUNS > c.SUSPECT_WINDOW) {
    ctx.addIssue({ code: 'custom', path: ['SUSPECT_MIN_RUNS'], message: `must not be more than SUSPECT_WINDOW (${c.SUSPECT_WINDOW}): the baseline never holds more runs than the window` });
  }
  if ((c.SLACK_APP_TOKEN || c.SLACK_SIGNING_SECRET) && !c.SLACK_BOT_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is required when other SLACK_* settings are given' });
  }
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}


/** Parses the environment; a bad value throws one error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = checkedSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}. See .env.example.`);
}

/** The suspicion thresholds from the configuration (per-server overrides are applied on top). */
export function suspectThresholdsOf(c: Pick<Config, 'SUSPECT_DROP_PERCENT' | 'SUSPECT_SHORT_PERCENT' | 'SUSPECT_MIN_RUNS' | 'SUSPECT_WINDOW'>) {
  return { dropPercent: c.SUSPECT_DROP_PERCENT, shortPercent: c.SUSPECT_SHORT_PERCENT, minRuns: c.SUSPECT_MIN_RUNS, window: c.SUSPECT_WINDOW };
}
