import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import { resolve } from 'node:path';
import type { Database, Db } from '../db/client.ts';
import { AppError } from '../errors.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  stdin: Readable;
  /** A person is watching stderr (progress bars make sense). */
  tty?: boolean;
}

export interface CliContext {
  io: CliIo;
  config: () => Config;
  /**
   * Opens the database for the length of `fn`. Only `migrate` passes { migrate: true };
   * every other command checks that the schema is current and says to migrate if not.
   */
  withDb<T>(fn: (db: Db, database: Database) => Promise<T>, opts?: { migrate?: boolean }): Promise<T>;
}

/** Thrown when the embedded database belongs to a running `serve`: the command goes there. */
export class ForwardToServer extends Error {
  constructor(readonly socket: string) {
    super('forward to the running server');
  }
}

export function localDbOpener(config: () => Config) {
  return async function withDb<T>(fn: (db: Db, database: Database) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
    const cfg = config();
    // Loaded here, not at the top: commands that never open the database (parse, --help)
    // must not pay for the drivers and drizzle.
    const [{ checkSchema, openDatabase }, { makePrivate }, { startupDbError }, { acquireLock }] = await Promise.all([
      import('../db/client.ts'),
      import('../db/private-dir.ts'),
      import('../db/startup-error.ts'),
      import('../db/lock.ts'),
    ]);
    let release = () => {};
    if (!cfg.DATABASE_URL) {
      // PGlite writes its files 0666; the umask keeps new directories private, and DATA_DIR
      // itself is made 0700 so nobody else can reach the files.
      process.umask(0o077);
      makePrivate(resolve(cfg.DATA_DIR));
      const lock = acquireLock(cfg.DATA_DIR, { pid: process.pid });
      if (!lock.ok) {
        if (lock.holder.socket) throw new ForwardToServer(lock.holder.socket);
        throw new AppError(
          'database_busy',
          `The embedded database in ${cfg.DATA_DIR} is in use by another backupbot process (pid ${lock.holder.pid}); wait for it to finish, or set DATABASE_URL to use Postgres.`,
        );
      }
      release = lock.release;
    }
    let database: Database | undefined;
    try {
      database = await openDatabase({ url: cfg.DATABASE_URL, dataDir: cfg.DATA_DIR, connectTimeoutMs: cfg.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: cfg.DB_STATEMENT_TIMEOUT_MS, max: 2 }).catch((err: unknown) => {
        throw startupDbError(cfg, err);
      });
      const db = database.db;
      if (opts.migrate) await database.migrate().catch((err: unknown) => Promise.reject(startupDbError(cfg, err)));
      else await checkSchema(db).catch((err: unknown) => Promise.reject(startupDbError(cfg, err)));
      if (!cfg.DATABASE_URL) makePrivate(resolve(cfg.DATA_DIR));
      return await fn(db, database);
    } finally {
      await database?.close();
      release();
    }
  };
}
