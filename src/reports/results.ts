import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { fileErrors, results } from '../db/schema.ts';
import type { ParsedReport } from '../parsers/types.ts';
import type { Verdict } from './classify.ts';
import { cleanParsed, cleanVerdict } from './sanitize.ts';

export type ResultRow = typeof results.$inferSelect;

const FILE_ERROR_BATCH = 500;

export interface NewResult {
  serverId: number;
  reportId: number | null;
  parsed: ParsedReport;
  verdict: Verdict;
  backupAt: Date;
}

/** Stores one parse (result row plus its file errors) atomically; returns the result id. */
export async function saveResult(db: Db, input: NewResult): Promise<number> {
  // Text from a log may hold bytes Postgres refuses (NUL): clean it on the way in.
  const r = { ...input, parsed: cleanParsed(input.parsed), verdict: cleanVerdict(input.verdict) };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(results)
      .values({
        serverId: r.serverId,
        reportId: r.reportId,
        parserVersion: r.parsed.parserVersion,
        format: r.parsed.format,
        code: r.verdict.code,
        status: r.verdict.status,
        meaning: r.verdict.meaning,
        reason: r.verdict.reason,
        hint: r.verdict.caseHint ?? null,
        completed: r.parsed.completed,
        okByExceptions: r.verdict.okByExceptions,
        fileErrorCount: r.parsed.fileErrorCount,
        exceptedCount: r.parsed.exceptedCount,
        vanishedCount: r.parsed.vanishedCount,
        messages: r.parsed.messages,
        stats: r.parsed.stats,
        suspicion: r.verdict.suspicion ?? [],
        backupAt: r.backupAt,
      })
      .returning({ id: results.id });
    const resultId = row!.id;
    const errs = r.parsed.fileErrors;
    for (let i = 0; i < errs.length; i += FILE_ERROR_BATCH) {
      await tx.insert(fileErrors).values(
        errs.slice(i, i + FILE_ERROR_BATCH).map((e) => ({
          resultId,
          path: e.path,
          kind: e.kind,
          message: e.message,
          line: e.line,
          excepted: e.excepted,
        })),
      );
    }
    return resultId;
  });
}

export async function latestResultForReport(db: Db, reportId: number): Promise<ResultRow | undefined> {
  const [row] = await db.select().from(results).where(eq(results.reportId, reportId)).orderBy(desc(results.id)).limit(1);
  return row;
}

export async function fileErrorsFor(db: Db, resultId: number, limit = 1000) {
  return db.select().from(fileErrors).where(eq(fileErrors.resultId, resultId)).orderBy(fileErrors.id).limit(limit);
}
