import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { exceptions } from '../db/schema.ts';
import { compileExceptions } from './match.ts';

export type ExceptionRow = typeof exceptions.$inferSelect;

/** Approved, unexpired exceptions that apply to one server (global, its customer's, its own). */
export async function activeExceptionsFor(
  db: Db,
  server: { id: number; customerId: number },
  now: Date = new Date(),
): Promise<ExceptionRow[]> {
  return db
    .select()
    .from(exceptions)
    .where(
      and(
        eq(exceptions.state, 'active'),
        or(isNull(exceptions.expiresAt), gt(exceptions.expiresAt, now)),
        or(
          eq(exceptions.scope, 'global'),
          and(eq(exceptions.scope, 'customer'), eq(exceptions.customerId, server.customerId)),
          and(eq(exceptions.scope, 'server'), eq(exceptions.serverId, server.id)),
        ),
      ),
    );
}

export async function exceptionMatcherFor(db: Db, server: { id: number; customerId: number }, now?: Date) {
  const rows = await activeExceptionsFor(db, server, now);
  return compileExceptions(rows.map((r) => r.pattern));
}
