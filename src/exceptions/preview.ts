import { and, desc, eq, gte, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { fileErrors, results } from '../db/schema.ts';
import { isExceptable } from '../parsers/types.ts';
import { compileExceptions } from './match.ts';

export interface ExceptionPreview {
  /** Distinct failing paths of the servers' recent results that the pattern would cover. */
  matched: string[];
  /** Some of the failing paths it would not cover, to show what the paths look like. */
  unmatched: string[];
  /** How many distinct failing, exceptable paths were looked at. */
  considered: number;
}

const RECENT_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a pattern would match among the servers' recent real file errors, so a pattern that
 * silently matches nothing ("*\/docs/x.txt" where "*" stops at "/") is caught when written.
 * Errors about the backup source itself are left out: an exception cannot cover them.
 */
export async function previewException(db: Db, serverIds: number[], pattern: string, now = new Date(), limit = 5000): Promise<ExceptionPreview> {
  if (serverIds.length === 0) return { matched: [], unmatched: [], considered: 0 };
  const rows = await db
    .select({ path: fileErrors.path, kind: fileErrors.kind })
    .from(fileErrors)
    .innerJoin(results, eq(results.id, fileErrors.resultId))
    .where(and(inArray(results.serverId, serverIds), gte(results.backupAt, new Date(now.getTime() - RECENT_DAYS * DAY_MS)), eq(fileErrors.excepted, false)))
    .orderBy(desc(fileErrors.id))
    .limit(limit);
  return previewPaths(rows.filter((r) => isExceptable(r.kind)).map((r) => r.path), pattern);
}

/** The same over a list of paths. Pure. */
export function previewPaths(paths: string[], pattern: string): ExceptionPreview {
  const matches = compileExceptions([pattern]);
  const distinct = [...new Set(paths)];
  const matched = distinct.filter(matches);
  const unmatched = distinct.filter((p) => !matches(p)).slice(0, 5);
  return { matched, unmatched, considered: distinct.length };
}

/** A one-paragraph explanation for a pattern that matches none of the recent errors. */
export function noMatchAdvice(pattern: string, p: ExceptionPreview): string {
  if (p.considered === 0) return `The pattern "${pattern}" cannot be checked: there are no recent file errors to compare it with.`;
  const slashHint = pattern.includes('/')
    ? ' A pattern with a "/" must match the whole path, and "*" does not cross "/": use "**/" for any folders (e.g. "**/docs/report.txt"), or leave out the folders to match the file name anywhere.'
    : '';
  return `The pattern "${pattern}" matches none of the ${p.considered} failing paths of the last ${RECENT_DAYS} days, e.g. "${p.unmatched[0]}".${slashHint}`;
}
