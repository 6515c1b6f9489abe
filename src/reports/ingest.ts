import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { reportChunks, reports, servers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { exceptionMatcherFor } from '../exceptions/store.ts';
import type { Format } from '../parsers/index.ts';
import { adviceFor } from '../parsers/index.ts';
import { INCOMPLETE, type ParsedReport } from '../parsers/types.ts';
import { describeDbError, isUnavailable } from '../db/health.ts';
import { classify, type Verdict } from './classify.ts';
import { createSafeParser } from './parse-safely.ts';
import { timedParser } from '../metrics.ts';
import { findRetryOf, lockRetryKey, storeRawOnly, type RetryRule, type Stored } from './store-small.ts';
import { groupStoreFor } from './group-store.ts';
import { compileExceptions } from '../exceptions/match.ts';
import type { StreamParser } from '../parsers/types.ts';
import { CHUNK_BYTES, readRaw } from './raw.ts';
import { latestResultForReport, saveResult, type NewResult } from './results.ts';
import { canaryWatch, judgeSuspicion, prefetchBaseline, type SuspectSettings, type SuspectThresholds } from './suspicion.ts';

export interface UploadMeta {
  format: Format;
  exitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The client's Idempotency-Key header, when it sent one. */
  idempotencyKey?: string | null;
}

export interface IngestOutcome {
  reportId: number;
  /** The tool that wrote the log, as detected (or forced); 'unknown' when none matched. */
  format: string;
  resultId: number;
  duplicate: boolean;
  verdict: Verdict;
  counts: { fileErrors: number; excepted: number; vanished: number; lines: number; bytes: number };
}

export interface IngestOptions {
  /** Without an Idempotency-Key: the same body and time headers within this window is a retry. */
  retryWindowMs?: number;
  /** With an Idempotency-Key: the same key and body within this window is a retry. */
  idempotencyWindowMs?: number;
  /** Wraps each piece of database work (the HTTP layer puts its outage deadline here). */
  guard?: <T>(work: () => Promise<T>) => Promise<T>;
  log?: Logger;
  /** Told the id of a big upload's report while its bytes arrive (done: true when they stop). */
  onReceiving?: (reportId: number, done?: boolean) => void;
  /** Suspicion thresholds from the configuration (built-in defaults when absent). */
  suspect?: SuspectThresholds | undefined;
}

const MINUTE_MS = 60_000;
export const DEFAULT_RETRY_WINDOW_MS = 10 * MINUTE_MS;
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * MINUTE_MS;

/**
 * What a retry of this upload has in common with it. With an Idempotency-Key, the key and
 * the body (a reused key with a new log is a new report); without, the body and the time
 * headers the client sent -- a script re-sending after a lost answer sends both unchanged.
 */
export function retryRuleFor(meta: UploadMeta, sha256: string, opts: IngestOptions): RetryRule {
  const h = createHash('sha256');
  if (meta.idempotencyKey) {
    h.update(`key\0${meta.idempotencyKey}\0${sha256}`);
    return { key: h.digest('hex'), windowMs: opts.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS };
  }
  h.update(`body\0${sha256}\0${meta.startedAt?.toISOString() ?? '-'}\0${meta.finishedAt?.toISOString() ?? '-'}`);
  return { key: h.digest('hex'), windowMs: opts.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS };
}

/** When the backup ran: the client's finish time, never later than the report's arrival. */
export function backupTimeOf(finishedAt: Date | null, receivedAt: Date): Date {
  return finishedAt && finishedAt < receivedAt ? finishedAt : receivedAt;
}

/**
 * upload -> store raw -> parse -> classify -> store result.
 *
 * The body is hashed and parsed as it arrives. An upload that fits in one chunk (nearly all)
 * is stored with its verdict in one transaction. A bigger one is written to report_chunks as
 * it arrives, so memory stays flat whatever the size, and its raw bytes are committed before
 * its result: a crash in between never loses it (recoverPending parses it at the next start).
 * Either way a parser bug, or a verdict the database refuses, only costs the verdict
 * (-2), never the bytes.
 */
export async function ingestReport(
  db: Db,
  server: { id: number; customerId: number; exceptionPatterns?: string[] } & SuspectSettings,
  body: AsyncIterable<Uint8Array>,
  meta: UploadMeta,
  maxBytes: number,
  opts: IngestOptions = {},
): Promise<IngestOutcome> {
  const guard = opts.guard ?? (<T>(work: () => Promise<T>) => work());
  const isExcepted = server.exceptionPatterns ? compileExceptions(server.exceptionPatterns) : await guard(() => exceptionMatcherFor(db, server));
  const parser = timedParser(createSafeParser(meta.format, { isExcepted, ...canaryWatch(server) }));
  // The tool's verdict, then suspicion against the server's own history (one indexed query,
  // started now so that it runs while the body arrives; a big upload asks again at its end).
  const startedAt = new Date();
  const prefetched = prefetchBaseline(db, { serverId: server.id, server, at: meta.finishedAt ?? startedAt, defaults: opts.suspect }, guard);
  const judge = (parsed: ParsedReport, early: boolean) =>
    guard(() =>
      judgeSuspicion(db, classify(parsed, meta.exitCode), {
        serverId: server.id,
        server,
        parsed,
        startedAt: meta.startedAt,
        finishedAt: meta.finishedAt,
        at: meta.finishedAt ?? (early ? startedAt : new Date()),
        defaults: opts.suspect,
        prefetched: early ? prefetched : undefined,
      }),
    );
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
    idempotencyKey: meta.idempotencyKey ?? null,
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
          const [row] = await guard(() => db.insert(reports).values(newReport('receiving')).returning({ id: reports.id }));
          reportId = row!.id;
          opts.onReceiving?.(reportId);
        }
        const all = Buffer.concat(pending);
        const id = reportId;
        await guard(() => db.insert(reportChunks).values({ reportId: id, seq, data: all.subarray(0, CHUNK_BYTES) }));
        seq++;
        pending = all.length > CHUNK_BYTES ? [all.subarray(CHUNK_BYTES)] : [];
        pendingBytes = all.length - CHUNK_BYTES;
      }
    }
  } catch (err) {
    // Half an upload is no evidence of anything; the client did not get a 201 and will retry.
    // If the database is the problem this delete fails too: the scheduled clean-up removes it.
    const id = reportId;
    if (id !== null) await guard(() => db.delete(reports).where(eq(reports.id, id))).catch(() => undefined);
    throw err;
  } finally {
    if (reportId !== null) opts.onReceiving?.(reportId, true);
  }

  const sha256 = hash.digest('hex');
  const retry = retryRuleFor(meta, sha256, opts);
  const tail = pendingBytes > 0 ? Buffer.concat(pending) : null;
  if (reportId === null) return storeSmall(db, server.id, meta, tail ?? Buffer.alloc(0), sha256, retry, parser, judge, guard, opts.log);
  // A big upload: its chunks are already in; finish the report row (raw first, then the result).
  const bigId = reportId;
  const stored = await guard(() =>
    db.transaction(async (tx) => {
      await lockRetryKey(tx, server.id, retry.key);
      const dup = await findRetryOf(tx, server.id, retry, bigId);
      if (dup !== null) {
        await tx.delete(reports).where(eq(reports.id, bigId));
        return { id: dup, duplicate: true };
      }
      await tx.update(reports).set({ state: 'stored', size, sha256, retryKey: retry.key }).where(eq(reports.id, bigId));
      if (tail) await tx.insert(reportChunks).values({ reportId: bigId, seq, data: tail });
      return { id: bigId, duplicate: false };
    }),
  );

  if (stored.duplicate) return guard(() => outcomeForStored(db, stored.id, true));
  const parsed = parser.end();
  const verdict = await judge(parsed, false);
  const saved = await guard(() => saveResultOrNote(db, { serverId: server.id, reportId: stored.id, parsed, verdict, backupAt: backupTimeOf(meta.finishedAt, new Date()) }, opts.log));
  return { reportId: stored.id, resultId: saved.resultId, duplicate: false, format: saved.parsed.format, verdict: saved.verdict, counts: countsOf(saved.parsed) };
}

/** The common case: the whole upload fit in one chunk. */
async function storeSmall(
  db: Db,
  serverId: number,
  meta: UploadMeta,
  bytes: Buffer,
  sha256: string,
  retry: RetryRule,
  parser: StreamParser,
  judge: (parsed: ParsedReport, early: boolean) => Promise<Verdict>,
  guard: NonNullable<IngestOptions['guard']>,
  log: Logger | undefined,
): Promise<IngestOutcome> {
  const parsed = parser.end();
  const verdict = await judge(parsed, true);
  const raw = {
    serverId,
    format: meta.format,
    bytes,
    sha256,
    clientExitCode: meta.exitCode,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
    idempotencyKey: meta.idempotencyKey ?? null,
  };
  let stored: Stored;
  try {
    // Shared with the other small uploads arriving now: one commit for all (group-store.ts).
    stored = await guard(() => groupStoreFor(db).store({ ...raw, parsed, verdict }, retry));
  } catch (err) {
    if (isUnavailable(err) || err instanceof AppError) throw err;
    // The database refused something in the verdict. Keep the bytes, then the verdict if it can be.
    log?.error({ err: describeDbError(err), serverId }, 'could not store a report with its verdict; storing the raw bytes alone');
    const kept = await guard(() => storeRawOnly(db, raw, retry));
    if (kept.duplicate) return guard(() => outcomeForStored(db, kept.reportId, true));
    const saved = await guard(() => saveResultOrNote(db, { serverId, reportId: kept.reportId, parsed, verdict, backupAt: backupTimeOf(meta.finishedAt, new Date()) }, log));
    return { reportId: kept.reportId, resultId: saved.resultId, duplicate: false, format: saved.parsed.format, verdict: saved.verdict, counts: countsOf(saved.parsed) };
  }
  if (stored.duplicate) return guard(() => outcomeForStored(db, stored.reportId, true));
  return { reportId: stored.reportId, resultId: stored.resultId, duplicate: false, format: parsed.format, verdict, counts: countsOf(parsed) };
}

/**
 * Saves a verdict; when the database refuses it, saves a -2 in its place that says why,
 * so the report is never left without a result (and a reparse can try again).
 */
async function saveResultOrNote(db: Db, r: NewResult, log: Logger | undefined): Promise<{ resultId: number; verdict: Verdict; parsed: ParsedReport }> {
  try {
    return { resultId: await saveResult(db, r), verdict: r.verdict, parsed: r.parsed };
  } catch (err) {
    if (isUnavailable(err)) throw err;
    log?.error({ err: describeDbError(err), reportId: r.reportId }, 'the database refused a verdict; storing -2 in its place');
    const note = `The verdict could not be stored (${describeDbError(err)}). The upload is kept unchanged; reparse it to try again.`;
    const parsed: ParsedReport = { ...r.parsed, code: INCOMPLETE, completed: false, reason: note, fileErrors: [], fileErrorCount: 0, exceptedCount: 0, vanishedCount: 0, messages: [], stats: {} };
    const verdict = classify(parsed, null);
    return { resultId: await saveResult(db, { ...r, parsed, verdict }), verdict, parsed };
  }
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
    format: latest.format,
    verdict: {
      code: latest.code,
      status: latest.status as Verdict['status'],
      meaning: latest.meaning,
      hint: adviceFor(latest),
      okByExceptions: latest.okByExceptions,
      reason: latest.reason,
      suspicion: latest.suspicion,
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
export async function parseStoredReport(db: Db, reportId: number, suspect?: SuspectThresholds): Promise<IngestOutcome> {
  const [row] = await db
    .select({
      report: reports,
      customerId: servers.customerId,
      server: { canaryPath: servers.canaryPath, suspectDropPercent: servers.suspectDropPercent, suspectShortPercent: servers.suspectShortPercent },
    })
    .from(reports)
    .innerJoin(servers, eq(servers.id, reports.serverId))
    .where(eq(reports.id, reportId));
  if (!row) throw new AppError('not_found', `Report ${reportId} does not exist.`);
  const { report } = row;
  const isExcepted = await exceptionMatcherFor(db, { id: report.serverId, customerId: row.customerId });
  const parser = createSafeParser(report.format as Format, { isExcepted, ...canaryWatch(row.server) });
  for await (const chunk of readRaw(db, reportId)) parser.push(chunk);
  const parsed = parser.end();
  // A reparse does not move the backup in time: the new result keeps the time of the one it
  // replaces, so it can never sort before it.
  const previous = await latestResultForReport(db, reportId);
  const backupAt = previous?.backupAt ?? backupTimeOf(report.finishedAt, report.receivedAt);
  // Suspicion is judged against the history before this report's own time, so a reparse
  // months later compares it with its neighbours, not with today's runs.
  const verdict = await judgeSuspicion(db, classify(parsed, report.clientExitCode), {
    serverId: report.serverId,
    server: row.server,
    parsed,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    at: backupAt,
    reportId,
    defaults: suspect,
  });
  const resultId = await saveResult(db, { serverId: report.serverId, reportId, parsed, verdict, backupAt });
  return { reportId, resultId, duplicate: false, format: parsed.format, verdict, counts: countsOf(parsed) };
}
