import { and, desc, eq, inArray } from 'drizzle-orm';
import { audit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { acknowledgements, results, serverCurrent } from '../db/schema.ts';
import { AppError } from '../errors.ts';

export type Ack = typeof acknowledgements.$inferSelect;

export interface AckInput {
  serverId: number;
  /** The result the button was showing. */
  resultId: number;
  userId: string;
  note?: string | null;
}

/**
 * Takes ownership of a server's current failure. A button from an older result still works
 * when the server keeps failing the same way (it acknowledges the current result); it is
 * refused as stale when the server has since changed. Clicking twice is harmless.
 */
export async function acknowledge(db: Db, input: AckInput): Promise<{ ack: Ack; created: boolean }> {
  const [shown] = await db.select().from(results).where(and(eq(results.id, input.resultId), eq(results.serverId, input.serverId)));
  if (!shown) throw new AppError('not_found', 'That result no longer exists; run `/backup status` for the current state.');
  const [latest] = await db
    .select()
    .from(results)
    .where(eq(results.serverId, input.serverId))
    .orderBy(desc(results.backupAt), desc(results.id))
    .limit(1);
  const current = latest ?? shown;
  if (current.status === 'ok') throw new AppError('conflict', 'The server’s latest backup is ok now: nothing to acknowledge.');
  if (current.id !== shown.id && (current.status !== shown.status || current.code !== shown.code)) {
    throw new AppError('conflict', `This button is for an older result; the server is now ${current.status} (code ${current.code}). Look at it again with \`/backup status\`.`);
  }
  const note = input.note?.trim() ? input.note.trim().slice(0, 500) : null;
  const [created] = await db
    .insert(acknowledgements)
    .values({ serverId: input.serverId, resultId: current.id, status: current.status, code: current.code, userId: input.userId, note })
    .onConflictDoNothing()
    .returning();
  if (created) {
    await audit(db, input.userId, 'acknowledge', input.serverId, { resultId: current.id, code: current.code, status: current.status, note });
    return { ack: created, created: true };
  }
  const [existing] = await db.select().from(acknowledgements).where(eq(acknowledgements.resultId, current.id));
  return { ack: existing!, created: false };
}

/**
 * Acknowledgements still in force, by server: the newest one per server, as long as no later
 * result has a different status or code (a success or another failure clears it). The
 * triggers on results and acknowledgements keep that one in `server_current.ack_id`.
 */
export async function activeAcks(db: Db, serverIds?: number[]): Promise<Map<number, Ack>> {
  if (serverIds && serverIds.length === 0) return new Map();
  const rows = await db
    .select({ ack: acknowledgements })
    .from(serverCurrent)
    .innerJoin(acknowledgements, eq(acknowledgements.id, serverCurrent.ackId))
    .where(serverIds ? inArray(serverCurrent.serverId, serverIds) : undefined);
  return new Map(rows.map(({ ack }) => [ack.serverId, ack]));
}
