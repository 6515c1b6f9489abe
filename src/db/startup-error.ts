import { resolve } from 'node:path';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { describeDbError } from './health.ts';

/** Where a connection string points, without its password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? `${u.username}@` : ''}${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** A database problem at start, as one line that names the setting to change. */
export function startupDbError(config: Config, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const cause = describeDbError(err);
  if (config.DATABASE_URL) {
    return new AppError(
      'startup',
      `Cannot use the database at ${describeUrl(config.DATABASE_URL)}: ${cause}. Check DATABASE_URL (host, port, user, password, database name) and that Postgres is running.`,
    );
  }
  return new AppError('startup', `Cannot open the embedded database in ${resolve(config.DATA_DIR)}: ${cause}. Check DATA_DIR (it must be a writable directory of this user's).`);
}
