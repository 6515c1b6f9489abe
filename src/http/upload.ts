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

function parseTime(name: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const when = /^\d{9,11}$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(when.getTime())) {
    throw new AppError('bad_request', `${name} must be an ISO 8601 time (2026-11-23T02:15:00Z) or Unix seconds; got "${value.slice(0, 60)}".`);
  }
  return when;
}

/** Reads and checks the optional X-* headers of an upload. */
export function uploadMeta(req: IncomingMessage): UploadMeta {
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
  const format = header(req, 'x-report-format')?.toLowerCase() ?? 'auto';
  if (!isFormat(format)) {
    throw new AppError('bad_request', `X-Report-Format must be one of ${FORMATS.join(', ')}; got "${format.slice(0, 60)}".`);
  }
  const startedAt = parseTime('X-Started-At', header(req, 'x-started-at'));
  const finishedAt = parseTime('X-Finished-At', header(req, 'x-finished-at'));
  if (startedAt && finishedAt && finishedAt < startedAt) {
    throw new AppError('bad_request', 'X-Finished-At is before X-Started-At; send the times the backup really started and finished.');
  }
  return { format, exitCode, startedAt, finishedAt };
}
