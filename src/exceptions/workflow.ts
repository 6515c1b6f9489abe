import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { audit } from '../audit.ts';
import type { Db } from '../db/client.ts';
import { exceptions, servers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { checkPattern } from './match.ts';
import { notExpired, scopeCovers, type ExceptionRow } from './store.ts';

export type Scope = 'server' | 'customer' | 'global';
export const SCOPES: readonly Scope[] = ['server', 'customer', 'global'];

export interface ProposeInput {
  pattern: string;
  scope: Scope;
  serverId: number | null;
  customerId: number | null;
  reason: string;
  expiresAt: Date | null;
  actor: string;
  /** Admins (CLI) add active exceptions directly; Slack users propose pending ones. */
  approved?: boolean;
}

function checkInput(input: ProposeInput): void {
  const problem = checkPattern(input.pattern);
  if (problem) throw new AppError('usage', problem);
  if (input.reason.trim().length < 3) throw new AppError('usage', 'Give a reason, e.g. "backed up by NTBackup nightly".');
  if (input.scope === 'server' && input.serverId === null) throw new AppError('usage', 'A server exception needs a server.');
  if (input.scope === 'customer' && input.customerId === null) throw new AppError('usage', 'A customer exception needs a customer.');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new AppError('usage', 'The expiry date is in the past.');
}

export async function proposeException(db: Db, input: ProposeInput): Promise<ExceptionRow> {
  checkInput(input);
  const approved = input.approved === true;
  const [row] = await db
    .insert(exceptions)
    .values({
      pattern: input.pattern.trim(),
      scope: input.scope,
      serverId: input.scope === 'server' ? input.serverId : null,
      customerId: input.scope === 'customer' ? input.customerId : null,
      sourceServerId: input.serverId,
      reason: input.reason.trim(),
      state: approved ? 'active' : 'pending',
      createdBy: input.actor,
      expiresAt: input.expiresAt,
      ...(approved ? { approvedBy: input.actor, approvedAt: new Date() } : {}),
    })
    .returning();
  await audit(db, input.actor, approved ? 'exception.add' : 'exception.request', input.serverId, { exceptionId: row!.id, pattern: row!.pattern, scope: row!.scope, reason: row!.reason });
  return row!;
}

export type Decision = 'approve' | 'reject';

/**
 * Approves or rejects a pending exception. The conditional update lets exactly one of two
 * simultaneous clicks win; the other gets `won: false` and the row as decided.
 */
export async function decideException(db: Db, id: number, actor: string, decision: Decision): Promise<{ row: ExceptionRow; won: boolean }> {
  const [row] = await db
    .update(exceptions)
    .set(decision === 'approve' ? { state: 'active', approvedBy: actor, approvedAt: new Date() } : { state: 'rejected', approvedBy: actor, approvedAt: new Date() })
    .where(and(eq(exceptions.id, id), eq(exceptions.state, 'pending')))
    .returning();
  if (row) {
    await audit(db, actor, decision === 'approve' ? 'exception.approve' : 'exception.reject', row.sourceServerId, { exceptionId: id, pattern: row.pattern, scope: row.scope });
    return { row, won: true };
  }
  const [current] = await db.select().from(exceptions).where(eq(exceptions.id, id));
  if (!current) throw new AppError('not_found', `Exception ${id} no longer exists.`);
  return { row: current, won: false };
}

export async function removeException(db: Db, id: number, actor: string): Promise<ExceptionRow> {
  const [row] = await db
    .update(exceptions)
    .set({ state: 'removed' })
    .where(and(eq(exceptions.id, id), inArray(exceptions.state, ['active', 'pending'])))
    .returning();
  if (!row) throw new AppError('not_found', `Exception ${id} does not exist or was already removed.`);
  await audit(db, actor, 'exception.remove', row.sourceServerId ?? row.serverId, { exceptionId: id, pattern: row.pattern, scope: row.scope });
  return row;
}

/** Active and pending exceptions (for one server: those that apply to it). */
export async function listExceptions(db: Db, server?: { id: number; customerId: number }, now = new Date()): Promise<ExceptionRow[]> {
  return db
    .select()
    .from(exceptions)
    .where(
      and(inArray(exceptions.state, ['active', 'pending']), notExpired(now), server ? scopeCovers(server.id, server.customerId) : undefined),
    )
    .orderBy(asc(exceptions.state), desc(exceptions.createdAt));
}

export async function recordRequestMessage(db: Db, id: number, channel: string, ts: string): Promise<void> {
  await db.update(exceptions).set({ requestChannel: channel, requestTs: ts }).where(eq(exceptions.id, id));
}

/** The servers an exception can change the verdict of. */
export async function serversInScope(db: Db, e: ExceptionRow): Promise<number[]> {
  if (e.scope === 'server') return e.serverId ? [e.serverId] : [];
  const rows = await db
    .select({ id: servers.id })
    .from(servers)
    .where(e.scope === 'customer' ? eq(servers.customerId, e.customerId ?? -1) : sql`true`);
  return rows.map((r) => r.id);
}

/**
 * A pattern to suggest for the failing paths: "*.ext" when most share an extension
 * (Outlook's .pst, QuickBooks' .qbw), else the first file's name.
 */
export function suggestPattern(paths: string[]): string {
  const names = paths.map((p) => p.replace(/\/+$/, '').split('/').pop() ?? p).filter(Boolean);
  const exts = new Map<string, number>();
  for (const n of names) {
    const m = /\.([A-Za-z0-9]{1,8})$/.exec(n);
    if (m) exts.set(m[1]!.toLowerCase(), (exts.get(m[1]!.toLowerCase()) ?? 0) + 1);
  }
  const [best] = [...exts.entries()].sort((a, b) => b[1] - a[1]);
  if (best && best[1] * 2 >= names.length) return `*.${best[0]}`;
  return names[0] ?? '';
}
