import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { reportChunks } from '../db/schema.ts';

/** Size of one stored piece of a raw report. */
export const CHUNK_BYTES = 1024 * 1024;

/** Reads a stored report back, one chunk per query, so memory stays flat for any size. */
export async function* readRaw(db: Db, reportId: number): AsyncGenerator<Buffer> {
  let seq = -1;
  for (;;) {
    const [row] = await db
      .select({ seq: reportChunks.seq, data: reportChunks.data })
      .from(reportChunks)
      .where(and(eq(reportChunks.reportId, reportId), gt(reportChunks.seq, seq)))
      .orderBy(asc(reportChunks.seq))
      .limit(1);
    if (!row) return;
    seq = row.seq;
    yield row.data;
  }
}
