import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import { openDatabase, type Database, type Db } from '../db/client.ts';
import { acquireLock } from '../db/lock.ts';
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
  /** Opens (and migrates) the database for the length of `fn`. */
  withDb<T>(fn: (db: Db, database: Database) => Promise<T>): Promise<T>;
}

/** Thrown when the embedded database belongs to a running `serve`: the command goes there. */
export class ForwardToServer extends Error {
  constructor(readonly socket: string) {
    super('forward to the running server');
  }
}

export function localDbOpener(config: () => Config) {
  return async function withDb<T>(fn: (db: Db, database: Database) => Promise<T>): Promise<T> {
    const cfg = config();
    let release = () => {};
    if (!cfg.DATABASE_URL) {
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
      database = await openDatabase({ url: cfg.DATABASE_URL, dataDir: cfg.DATA_DIR });
      await database.migrate();
      return await fn(database.db, database);
    } finally {
      await database?.close();
      release();
    }
  };
}
