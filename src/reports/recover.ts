import { and, eq, inArray, isNull, lt, notInArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { reportChunks, reports, results } from '../db/schema.ts';
import { parseStoredReport } from './ingest.ts';

/** An upload still "receiving" after this long was cut off by a crash. */
const STALE_RECEIVING_MS = 60 * 60 * 1000;

/**
 * Run at start: finishes what a crash (kill -9, power loss) interrupted. Reports whose raw
 * bytes were committed but never got a result are parsed now; uploads that were cut off
 * mid-body are marked aborted (their client saw no 201 and retries).
 */
export async function recoverPending(db: Db, log: Logger, now = new Date()): Promise<{ parsed: number; aborted: number }> {
  const aborted = await sweepAbortedUploads(db, now);
  const orphans = await db
    .select({ id: reports.id })
    .from(reports)
    .leftJoin(results, eq(results.reportId, reports.id))
    .where(and(eq(reports.state, 'stored'), isNull(results.id)));
  for (const { id } of orphans) {
    const outcome = await parseStoredReport(db, id);
    log.info({ reportId: id, code: outcome.verdict.code, status: outcome.verdict.status }, 'parsed a report left unparsed by a restart');
  }
  if (aborted.reports) log.warn({ count: aborted.reports }, 'marked uploads cut off by a restart as aborted');
  return { parsed: orphans.length, aborted: aborted.reports };
}

/**
 * Marks uploads that stopped arriving long ago as aborted and deletes their chunks (the row
 * stays, as a record that something was tried). Run at start and on a schedule, so a kill
 * or a vanished client never leaves megabytes of half a log behind. `receiving` lists the
 * uploads this process is still reading, which are left alone however old.
 */
export async function sweepAbortedUploads(
  db: Db,
  now = new Date(),
  opts: { staleMs?: number; receiving?: ReadonlySet<number> } = {},
): Promise<{ reports: number; chunks: number }> {
  const live = [...(opts.receiving ?? [])];
  const marked = await db
    .update(reports)
    .set({ state: 'aborted' })
    .where(
      and(
        eq(reports.state, 'receiving'),
        lt(reports.receivedAt, new Date(now.getTime() - (opts.staleMs ?? STALE_RECEIVING_MS))),
        live.length ? notInArray(reports.id, live) : undefined,
      ),
    )
    .returning({ id: reports.id });
  const aborted = db.select({ id: reports.id }).from(reports).where(eq(reports.state, 'aborted'));
  const deleted = await db
    .delete(reportChunks)
    .where(inArray(reportChunks.reportId, aborted))
    .returning({ n: sql<number>`1` });
  return { reports: marked.length, chunks: deleted.length };
}
