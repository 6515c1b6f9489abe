/**
 * Errors that carry a stable code and a message written for the person who must fix
 * the problem. They are translated to an HTTP status, a CLI exit code or a Slack reply
 * only at the edges.
 */
export type ErrorCode =
  | 'usage'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'too_large'
  | 'bad_request'
  | 'database_busy'
  | 'unreadable'
  | 'too_many'
  | 'timeout'
  | 'internal'
  /** The service cannot start: a setting or the environment must change (CLI exit 2). */
  | 'startup'
  /** A consistency check found a difference (`backupbot doctor`; CLI exit 1). */
  | 'check_failed';

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const httpStatusFor: Record<ErrorCode, number> = {
  usage: 400,
  bad_request: 400,
  unreadable: 400,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  too_large: 413,
  database_busy: 503,
  check_failed: 500,
  too_many: 429,
  timeout: 408,
  internal: 500,
  startup: 500,
};

/** A setting in the environment is missing or wrong (CLI exit 2); the message names each one. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
