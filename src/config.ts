import { z } from 'zod';

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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; a bad value throws one error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = checkedSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}. See .env.example.`);
}
