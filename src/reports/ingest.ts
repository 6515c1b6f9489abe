import { createHash } from 'node:crypto';
import { and, desc, eq, gte, ne } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { reportChunks, reports, servers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { exceptionMatcherFor } from '../exceptions/store.ts';
import type { Format } from '../parsers/index.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import type { ParsedReport } from '../parsers/types.ts';
import { classify, type Verdict } from './classify.ts';
import { createSafeParser } from './parse-safely.ts';
import { storeSmallReport } from './store-small.ts';
import { compileExceptions } from '../exceptions/match.ts';
import type { StreamParser } from '../parsers/types.ts';
import { CHUNK_BYTES, readRaw } from './raw.ts';
import { latestResultForReport, saveResult } from './results.ts';

export interface UploadMeta {
  format: Format;
  exitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface IngestOutcome {
  reportId: number;
  resultId: number;
  duplicate: boolean;
  verdict: Verdict;
  counts: { fileErrors: number; excepted: number; vanished: number; lines: number; bytes: number };
}

const DUPLICATE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * upload -> store raw -> parse -> classify -> store result.
 *
 * The body is hashed and parsed as it arrives. An upload that fits in one chunk (nearly all)
 * is stored with its verdict in one statement. A bigger one is written to report_chunks as
 * it arrives, so memory stays flat whatever the size, and its raw bytes are committed before
 * its result: a crash in between never loses it (recoverPending parses it at the next start).
 * Either way a parser bug only costs the verdict (-2), never the bytes.
 */
export async function ingestReport(
  db: Db,
  server: { id: number; customerId: number; exceptionPatterns?: string[] },
  body: AsyncIterable<Uint8Array>,
  meta: UploadMeta,
  maxBytes: number,
): Promise<IngestOutcome> {
  const isExcepted = server.exceptionPatterns ? compileExceptions(server.exceptionPatterns) : await exceptionMatcherFor(db, server);
  const parser = createSafeParser(meta.format, { isExcepted });
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let seq = 0;
  let reportId: number | null = null;

  const newReport = (state: string) => ({
    serverId: server.id,
    state,
    format: meta.format,
    clientExitCode: meta.exitCode,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
  });

  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > maxBytes) {
        throw new AppError('too_large', `The report is larger than MAX_REPORT_BYTES (${maxBytes} bytes); nothing was stored.`);
      }
      hash.update(chunk);
      parser.push(chunk);
      pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      pendingBytes += chunk.length;
      while (pendingBytes >= CHUNK_BYTES) {
        // A big upload: start storing before it has all arrived.
        if (reportId === null) {
          const [row] = await db.insert(reports).values(newReport('receiving')).returning({ id: reports.id });
          reportId = row!.id;
        }
        const all = Buffer.concat(pending);
        await db.insert(reportChunks).values({ reportId, seq: seq++, data: all.subarray(0, CHUNK_BYTES) });
        pending = all.length > CHUNK_BYTES ? [all.subarray(CHUNK_BYTES)] : [];
        pendingBytes = all.length - CHUNK_BYTES;
      }
    }
  } catch (err) {
    // Half an upload is no evidence of anything; the client did not get a 201 and will retry.
    if (reportId !== null) await db.delete(reports).where(eq(reports.id, reportId));
    throw err;
  }

  const sha256 = hash.digest('hex');
  const tail = pendingBytes > 0 ? Buffer.concat(pending) : null;
  if (reportId === null) return storeSmall(db, server.id, meta, tail ?? Buffer.alloc(0), sha256, parser);
  // A big upload: its chunks are already in; finish the report row (raw first, then the result).
  const bigId = reportId;
  const stored = await db.transaction(async (tx) => {
    const dup = await findDuplicate(tx, server.id, sha256, bigId);
    if (dup !== null) {
      await tx.delete(reports).where(eq(reports.id, bigId));
      return { id: dup, duplicate: true };
    }
    await tx.update(reports).set({ state: 'stored', size, sha256 }).where(eq(reports.id, bigId));
    if (tail) await tx.insert(reportChunks).values({ reportId: bigId, seq, data: tail });
    return { id: bigId, duplicate: false };
  });

  if (stored.duplicate) return outcomeForStored(db, stored.id, true);
  const parsed = parser.end();
  const verdict = classify(parsed, meta.exitCode);
  const resultId = await saveResult(db, {
    serverId: server.id,
    reportId: stored.id,
    parsed,
    verdict,
    backupAt: meta.finishedAt ?? new Date(),
  });
  return { reportId: stored.id, resultId, duplicate: false, verdict, counts: countsOf(parsed) };
}

/** The common case: the whole upload fit in one chunk. */
async function storeSmall(db: Db, serverId: number, meta: UploadMeta, bytes: Buffer, sha256: string, parser: StreamParser): Promise<IngestOutcome> {
  const parsed = parser.end();
  const verdict = classify(parsed, meta.exitCode);
  const stored = await storeSmallReport(db, {
    serverId,
    format: meta.format,
    bytes,
    sha256,
    clientExitCode: meta.exitCode,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
    parsed,
    verdict,
    backupAt: meta.finishedAt ?? new Date(),
  }, new Date(Date.now() - DUPLICATE_WINDOW_MS));
  if (stored.duplicate) return outcomeForStored(db, stored.reportId, true);
  return { reportId: stored.reportId, resultId: stored.resultId, duplicate: false, verdict, counts: countsOf(parsed) };
}

/** A stored report of this server with the same bytes from the last 24 hours. */
async function findDuplicate(db: Db, serverId: number, sha256: string, exceptId?: number): Promise<number | null> {
  const [dup] = await db
    .select({ id: reports.id })
    .from(reports)
    .where(
      and(
        eq(reports.serverId, serverId),
        eq(reports.sha256, sha256),
        eq(reports.state, 'stored'),
        gte(reports.receivedAt, new Date(Date.now() - DUPLICATE_WINDOW_MS)),
        ...(exceptId !== undefined ? [ne(reports.id, exceptId)] : []),
      ),
    )
    .orderBy(desc(reports.id))
    .limit(1);
  return dup?.id ?? null;
}

function countsOf(p: ParsedReport): IngestOutcome['counts'] {
  return { fileErrors: p.fileErrorCount, excepted: p.exceptedCount, vanished: p.vanishedCount, lines: p.lines, bytes: p.bytes };
}

/** The verdict of an already stored report: its latest result, or a fresh parse. */
async function outcomeForStored(db: Db, reportId: number, duplicate: boolean): Promise<IngestOutcome> {
  const latest = await latestResultForReport(db, reportId);
  if (!latest) return { ...(await parseStoredReport(db, reportId)), duplicate };
  return {
    reportId,
    resultId: latest.id,
    duplicate,
    verdict: {
      code: latest.code,
      status: latest.status as Verdict['status'],
      meaning: latest.meaning,
      hint: describeCode(latest.code).hint,
      okByExceptions: latest.okByExceptions,
      reason: latest.reason,
    },
    counts: {
      fileErrors: latest.fileErrorCount,
      excepted: latest.exceptedCount,
      vanished: latest.vanishedCount,
      lines: 0,
      bytes: 0,
    },
  };
}

/** Runs the current parser over a stored report and saves a new result (old ones stay). */
export async function parseStoredReport(db: Db, reportId: number): Promise<IngestOutcome> {
  const [row] = await db
    .select({ report: reports, customerId: servers.customerId })
    .from(reports)
    .innerJoin(servers, eq(servers.id, reports.serverId))
    .where(eq(reports.id, reportId));
  if (!row) throw new AppError('not_found', `Report ${reportId} does not exist.`);
  const { report } = row;
  const isExcepted = await exceptionMatcherFor(db, { id: report.serverId, customerId: row.customerId });
  const parser = createSafeParser(report.format as Format, { isExcepted });
  for await (const chunk of readRaw(db, reportId)) parser.push(chunk);
  const parsed = parser.end();
  const verdict = classify(parsed, report.clientExitCode);
  const resultId = await saveResult(db, {
    serverId: report.serverId,
    reportId,
    parsed,
    verdict,
    backupAt: report.finishedAt ?? report.receivedAt,
  });
  return { reportId, resultId, duplicate: false, verdict, counts: countsOf(parsed) };
}
