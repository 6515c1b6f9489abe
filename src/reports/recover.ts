import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { reports, results } from '../db/schema.ts';
import { parseStoredReport } from './ingest.ts';

/** An upload still "receiving" after this long was cut off by a crash. */
const STALE_RECEIVING_MS = 60 * 60 * 1000;

/**
 * Run at start: finishes what a crash (kill -9, power loss) interrupted. Reports whose raw
 * bytes were committed but never got a result are parsed now; uploads that were cut off
 * mid-body are marked aborted (their client saw no 201 and retries).
 */
export async function recoverPending(db: Db, log: Logger, now = new Date()): Promise<{ parsed: number; aborted: number }> {
  const aborted = await db
    .update(reports)
    .set({ state: 'aborted' })
    .where(and(eq(reports.state, 'receiving'), lt(reports.receivedAt, new Date(now.getTime() - STALE_RECEIVING_MS))))
    .returning({ id: reports.id });
  const orphans = await db
    .select({ id: reports.id })
    .from(reports)
    .leftJoin(results, eq(results.reportId, reports.id))
    .where(and(eq(reports.state, 'stored'), isNull(results.id)));
  for (const { id } of orphans) {
    const outcome = await parseStoredReport(db, id);
    log.info({ reportId: id, code: outcome.verdict.code, status: outcome.verdict.status }, 'parsed a report left unparsed by a restart');
  }
  if (aborted.length) log.warn({ count: aborted.length }, 'marked uploads cut off by a restart as aborted');
  return { parsed: orphans.length, aborted: aborted.length };
}
