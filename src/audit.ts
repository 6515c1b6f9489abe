import { desc, eq } from 'drizzle-orm';
import type { Db } from './db/client.ts';
import { auditLog } from './db/schema.ts';

export type AuditAction =
  | 'acknowledge'
  | 'exception.request'
  | 'exception.approve'
  | 'exception.reject'
  | 'exception.remove'
  | 'exception.add'
  | 'reparse'
  | 'token.rotate'
  | 'report.download'
  | 'server.set'
  | 'server.rename'
  | 'server.pause'
  | 'server.resume'
  | 'server.remove'
  | 'server.rebaseline'
  | 'customer.rename';

/** Records who did what. Actors are Slack user ids ("U123") or "cli:<login>". */
export async function audit(db: Db, actor: string, action: AuditAction, serverId: number | null, details: Record<string, unknown> = {}): Promise<void> {
  await db.insert(auditLog).values({ actor, action, serverId, details });
}

export async function auditEntries(db: Db, serverId?: number, limit = 30) {
  return db
    .select()
    .from(auditLog)
    .where(serverId === undefined ? undefined : eq(auditLog.serverId, serverId))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}
