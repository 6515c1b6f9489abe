import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { Database } from './client.ts';

export type DbState = 'up' | 'down';

/**
 * Knows whether the database answers, and puts a time limit on the work of a request.
 *
 * A refused connection fails fast by itself, but a database that stops answering (a network
 * partition, a frozen VM) leaves queries waiting forever. A ping over its own connection
 * every `intervalMs` notices either within about a second; from then on, work that waits on
 * the database is given up with a 503 at once instead of leaving the uploader hanging.
 */
export interface DbGuard {
  state(): DbState;
  /** Why the database was last seen down (for /healthz), or null. */
  lastError(): string | null;
  /** Runs database work; rejects with database_busy when the database is or goes down, or on the deadline. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** A fresh ping, answered within `timeoutMs`. */
  check(timeoutMs: number): Promise<{ up: boolean; error?: string; ms: number }>;
  stop(): void;
}

export interface GuardOptions {
  intervalMs: number;
  /** A ping slower than this counts as the database not answering. */
  pingTimeoutMs: number;
  /** The longest any one piece of request work may wait on the database. */
  deadlineMs: number;
  /** Embedded PGlite cannot go away on its own: no monitor, only the deadline. */
  monitor: boolean;
}

export class DatabaseUnavailable extends AppError {
  constructor(detail: string) {
    super('database_busy', `The database is not answering (${detail}); nothing was stored. Retry in a minute.`);
  }
}

function timeout<T>(ms: number, what: string): { promise: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout;
  const promise = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailable(what)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export function createDbGuard(database: Database, log: Logger, opts: GuardOptions): DbGuard {
  let state: DbState = 'up';
  let lastError: string | null = null;
  const waiters = new Set<(err: Error) => void>();
  let pinging: Promise<void> | null = null;
  let pingStarted = 0;

  const setState = (next: DbState, error: string | null) => {
    if (next === state) return;
    state = next;
    if (next === 'down') {
      lastError = error;
      log.error({ error }, 'database is not answering: uploads get 503 until it is back');
      const err = new DatabaseUnavailable(error ?? 'no answer');
      for (const fail of waiters) fail(err);
      waiters.clear();
    } else {
      log.warn('database answers again');
    }
  };

  const tick = () => {
    if (pinging) {
      // The previous ping is still waiting: a hang looks exactly like this.
      if (Date.now() - pingStarted > opts.pingTimeoutMs) setState('down', `no answer to a ping within ${opts.pingTimeoutMs} ms`);
      return;
    }
    pingStarted = Date.now();
    pinging = database
      .ping()
      .then(
        () => setState('up', null),
        (err: unknown) => setState('down', describeDbError(err)),
      )
      .finally(() => {
        pinging = null;
      });
  };
  const timer = opts.monitor ? setInterval(tick, opts.intervalMs) : null;
  timer?.unref();

  return {
    state: () => state,
    lastError: () => (state === 'down' ? lastError : null),
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (state === 'down') throw new DatabaseUnavailable(lastError ?? 'no answer');
      const deadline = timeout<T>(opts.deadlineMs, `no answer within ${opts.deadlineMs} ms`);
      let fail!: (err: Error) => void;
      const down = new Promise<T>((_, reject) => {
        fail = reject;
      });
      waiters.add(fail);
      try {
        return await Promise.race([work(), deadline.promise, down]);
      } finally {
        deadline.cancel();
        waiters.delete(fail);
      }
    },
    async check(timeoutMs) {
      const started = Date.now();
      const limit = timeout<void>(timeoutMs, `no answer within ${timeoutMs} ms`);
      try {
        await Promise.race([database.ping(), limit.promise]);
        if (opts.monitor) setState('up', null);
        return { up: true, ms: Date.now() - started };
      } catch (err) {
        const error = describeDbError(err);
        if (opts.monitor) setState('down', error);
        return { up: false, error, ms: Date.now() - started };
      } finally {
        limit.cancel();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/** SQLSTATE classes and socket errors that mean "the database is not there", not "this query is wrong". */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailable) return true;
  const e = (err as { cause?: unknown })?.cause ?? err;
  const code = String((e as { code?: unknown })?.code ?? '');
  if (/^(08|53|57P)/.test(code) || code === '57014') return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED'].includes(code);
}

/** One short line about a database error, without the SQL text drizzle wraps around it. */
export function describeDbError(err: unknown): string {
  const e = ((err as { cause?: unknown })?.cause ?? err) as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(e);
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return `${message.split('\n')[0]!.slice(0, 200)}${code}`;
}
