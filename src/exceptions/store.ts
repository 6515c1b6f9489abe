import { and, eq, gt, isNull, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { exceptions } from '../db/schema.ts';
import { compileExceptions } from './match.ts';

export type ExceptionRow = typeof exceptions.$inferSelect;

/** Exceptions whose scope covers a server: global, its customer's, its own (values or columns). */
export function scopeCovers(serverId: number | SQLWrapper, customerId: number | SQLWrapper): SQL {
  return or(
    eq(exceptions.scope, 'global'),
    and(eq(exceptions.scope, 'customer'), eq(exceptions.customerId, customerId as number)),
    and(eq(exceptions.scope, 'server'), eq(exceptions.serverId, serverId as number)),
  )!;
}

/** Not expired at `now` (the database's clock when omitted). */
export function notExpired(now?: Date): SQL {
  return or(isNull(exceptions.expiresAt), gt(exceptions.expiresAt, now ?? sql`now()`))!;
}

/** Approved, unexpired exceptions that apply to one server. */
export async function activeExceptionsFor(db: Db, server: { id: number; customerId: number }, now: Date = new Date()): Promise<ExceptionRow[]> {
  return db
    .select()
    .from(exceptions)
    .where(and(eq(exceptions.state, 'active'), notExpired(now), scopeCovers(server.id, server.customerId)));
}

export async function exceptionMatcherFor(db: Db, server: { id: number; customerId: number }, now?: Date) {
  const rows = await activeExceptionsFor(db, server, now);
  return compileExceptions(rows.map((r) => r.pattern));
}
