import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { fileErrors, results } from '../db/schema.ts';

/** The first few failing (not excepted) paths of each result: what a person needs to see. */
export async function failingPaths(db: Db, resultIds: number[], perResult = 3): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (resultIds.length === 0) return out;
  const firstErrors = db
    .select({ path: fileErrors.path })
    .from(fileErrors)
    .where(and(eq(fileErrors.resultId, results.id), eq(fileErrors.excepted, false)))
    .orderBy(asc(fileErrors.id))
    .limit(perResult)
    .as('fe');
  const rows = await db
    .select({ resultId: results.id, path: firstErrors.path })
    .from(results)
    .innerJoinLateral(firstErrors, sql`true`)
    .where(inArray(results.id, resultIds));
  for (const r of rows) {
    const list = out.get(r.resultId) ?? [];
    list.push(r.path);
    out.set(r.resultId, list);
  }
  return out;
}
