import type { Logger } from 'pino';

/**
 * postgres.js 3.4.9 can throw from a setImmediate when a connection closes while a small
 * write is queued (porsager/postgres#1154, #1208; fixes not released yet). Nothing can catch
 * it, so a database restart would take the whole service down with it. This recognises
 * exactly that error and lets the service live on: the affected query is lost, and the
 * request waiting on it is answered 503 by its deadline. Every other uncaught exception
 * still ends the process, as Node's default does.
 */
export function surviveDriverWriteRace(log: Logger): () => void {
  const handler = (err: Error) => {
    const stack = err?.stack ?? '';
    if (err instanceof TypeError && /nextWrite/.test(stack) && /postgres[\\/]src[\\/]connection\.js/.test(stack)) {
      log.warn('a database connection closed during a write (postgres.js issue 1208); the query waiting on it gets a 503');
      return;
    }
    process.removeListener('uncaughtException', handler);
    log.fatal({ err }, 'uncaught exception');
    process.stderr.write(`${stack || String(err)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', handler);
  return () => process.removeListener('uncaughtException', handler);
}
