import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';
import { isFormat, FORMATS } from '../parsers/index.ts';
import type { UploadMeta } from '../reports/ingest.ts';

/** The bearer token from an Authorization header, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

export interface TimeRules {
  /** The receiving server's clock at arrival. */
  now: Date;
  /** How far ahead of `now` a client time may be (clock skew). */
  skewMs: number;
  /** How far behind `now` a finish time may be. */
  maxAgeMs: number;
}

const DEFAULT_RULES = { skewMs: 15 * 60_000, maxAgeMs: 30 * 86_400_000 };

/** Unix seconds are believed from 2000-01-01 to 2100-01-01; anything else is a mistake. */
const UNIX_MIN = Date.UTC(2000, 0, 1) / 1000;
const UNIX_MAX = Date.UTC(2100, 0, 1) / 1000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

const timeHelp = (name: string) =>
  `${name} must be an ISO 8601 time with a time zone (2026-11-23T02:15:00Z or 2026-11-23T03:15:00+01:00) or Unix seconds (date +%s)`;

/**
 * Strict on purpose: `new Date()` accepts "1", "0" and years past 9999, which turned typos
 * and unexpanded variables into dates decades away (and some into values Postgres refuses).
 */
export function parseTime(name: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const shown = value.slice(0, 60);
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < UNIX_MIN || n >= UNIX_MAX) {
      throw new AppError('bad_request', `${timeHelp(name)}; "${shown}" as Unix seconds is not between 2000 and 2100.`);
    }
    return new Date(n * 1000);
  }
  const m = ISO.exec(value);
  if (!m) throw new AppError('bad_request', `${timeHelp(name)}; got "${shown}".`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const zoneMs = /^z$/i.test(zone!) ? 0 : zoneOffsetMs(zone!);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0)] as const;
  const local = Date.UTC(...fields, Number((frac ?? '0').padEnd(3, '0').slice(0, 3)));
  const check = new Date(local);
  // Date.UTC rolls 2026-02-31 over into March; a real date survives the round trip.
  const real =
    check.getUTCFullYear() === fields[0] && check.getUTCMonth() === fields[1] && check.getUTCDate() === fields[2] &&
    check.getUTCHours() === fields[3] && check.getUTCMinutes() === fields[4] && check.getUTCSeconds() === fields[5];
  if (!real || zoneMs === null) throw new AppError('bad_request', `${timeHelp(name)}; "${shown}" is not a real date and time.`);
  return new Date(local - zoneMs);
}

function zoneOffsetMs(zone: string): number | null {
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? 0);
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/** Refuses a client time that this server's clock says cannot be true. */
function checkTime(name: string, when: Date | null, rules: TimeRules): void {
  if (!when) return;
  const ahead = when.getTime() - rules.now.getTime();
  const nowText = rules.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (ahead > rules.skewMs) {
    throw new AppError(
      'bad_request',
      `${name} (${when.toISOString()}) is ${describeSpan(ahead)} ahead of backupbot's clock (${nowText}); more than the ${describeSpan(rules.skewMs)} allowed for clock skew. Fix the backed-up server's clock (NTP) or the time your script sends; nothing was stored.`,
    );
  }
  if (-ahead > rules.maxAgeMs) {
    throw new AppError(
      'bad_request',
      `${name} (${when.toISOString()}) is ${describeSpan(-ahead)} before backupbot's clock (${nowText}); reports older than ${describeSpan(rules.maxAgeMs)} are refused. Check the backed-up server's clock, or that the script sends this run's log; nothing was stored.`,
    );
  }
}

function describeSpan(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(ms / 3_600_000);
  if (hours < 72) return `${hours} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/** Printable ASCII, as Stripe and the IETF draft use; long enough for a UUID plus a prefix. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Reads and checks the optional X-* headers of an upload. Without X-Report-Format the log is
 * read as the server's default format (`server set --format`), which is "auto" unless set.
 */
export function uploadMeta(req: IncomingMessage, rules: TimeRules = { now: new Date(), ...DEFAULT_RULES }, defaultFormat = 'auto'): UploadMeta {
  const exit = header(req, 'x-exit-code');
  let exitCode: number | null = null;
  if (exit !== undefined) {
    const n = Number(exit);
    // Windows reports a killed process as a 32-bit status (3221225786, or -1073741510 as
    // %ERRORLEVEL% prints it): keep any 32-bit value, as signed, rather than refuse the upload.
    if (!/^-?\d{1,10}$/.test(exit) || n < -(2 ** 31) || n >= 2 ** 32) {
      throw new AppError('bad_request', `X-Exit-Code must be the backup tool's exit status as a whole number (e.g. 0 or 23); got "${exit.slice(0, 60)}".`);
    }
    exitCode = n >= 2 ** 31 ? n - 2 ** 32 : n;
  }
  const format = header(req, 'x-report-format')?.toLowerCase() ?? defaultFormat;
  if (!isFormat(format)) {
    throw new AppError('bad_request', `X-Report-Format must be one of ${FORMATS.join(', ')}; got "${format.slice(0, 60)}".`);
  }
  const startedAt = parseTime('X-Started-At', header(req, 'x-started-at'));
  const finishedAt = parseTime('X-Finished-At', header(req, 'x-finished-at'));
  if (startedAt && finishedAt && finishedAt < startedAt) {
    throw new AppError('bad_request', 'X-Finished-At is before X-Started-At; send the times the backup really started and finished.');
  }
  checkTime('X-Started-At', startedAt, { ...rules, maxAgeMs: rules.maxAgeMs + 7 * 86_400_000 });
  checkTime('X-Finished-At', finishedAt, rules);
  const idempotencyKey = header(req, 'idempotency-key') ?? null;
  if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new AppError('bad_request', 'Idempotency-Key must be 1-200 printable ASCII characters without spaces (a UUID is fine); send the same key when you retry the same upload.');
  }
  return { format, exitCode, startedAt, finishedAt, idempotencyKey };
}
