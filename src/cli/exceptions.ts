import { userInfo } from 'node:os';
import { AppError } from '../errors.ts';
import { noMatchAdvice, previewException } from '../exceptions/preview.ts';
import { listExceptions, proposeException, removeException, SCOPES, serversInScope, type Scope } from '../exceptions/workflow.ts';
import { findCustomer } from '../fleet/customers.ts';
import { findServer } from '../fleet/servers.ts';
import type { CliContext } from './context.ts';
import { json, table, when } from './format.ts';

/** Who an admin action from the CLI is recorded as. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

export interface ExceptionAddFlags {
  scope: string;
  server?: string;
  customer?: string;
  reason?: string;
  expires?: string;
  json?: boolean;
}

/** backupbot exception add GLOB: admins add active exceptions directly (audited). */
export async function exceptionAdd(ctx: CliContext, pattern: string, flags: ExceptionAddFlags): Promise<void> {
  if (!(SCOPES as readonly string[]).includes(flags.scope)) throw new AppError('usage', `--scope must be one of ${SCOPES.join(', ')}; got "${flags.scope}".`);
  const scope = flags.scope as Scope;
  if (!flags.reason) throw new AppError('usage', 'Give a --reason, e.g. --reason "backed up by NTBackup nightly".');
  let expiresAt: Date | null = null;
  if (flags.expires) {
    expiresAt = new Date(/^\d{4}-\d{2}-\d{2}$/.test(flags.expires) ? `${flags.expires}T23:59:59Z` : flags.expires);
    if (Number.isNaN(expiresAt.getTime())) throw new AppError('usage', `--expires must be a date like 2027-01-31; got "${flags.expires}".`);
  }
  const row = await ctx.withDb(async (db) => {
    let serverId: number | null = null;
    let customerId: number | null = null;
    if (scope === 'server') {
      if (!flags.server) throw new AppError('usage', '--scope server needs --server NAME.');
      const s = await findServer(db, flags.server);
      if (!s) throw new AppError('not_found', `Server "${flags.server}" does not exist (see: backupbot server list).`);
      serverId = s.id;
    }
    if (scope === 'customer') {
      if (!flags.customer) throw new AppError('usage', '--scope customer needs --customer NAME.');
      const c = await findCustomer(db, flags.customer);
      if (!c) throw new AppError('not_found', `Customer "${flags.customer}" does not exist.`);
      customerId = c.id;
    }
    const added = await proposeException(db, { pattern, scope, serverId, customerId, reason: flags.reason!, expiresAt, actor: cliActor(), approved: true });
    return { added, preview: await previewException(db, await serversInScope(db, added), added.pattern) };
  });
  const { added, preview } = row;
  if (flags.json) return ctx.io.out(json({ ...added, matches: preview.matched, consideredPaths: preview.considered }));
  ctx.io.out(`Added exception ${added.id}: "${added.pattern}" (${added.scope}). Reparse to apply it to stored reports: backupbot reparse --since YYYY-MM-DD\n`);
  if (preview.matched.length) {
    ctx.io.out(`It matches ${preview.matched.length} of the ${preview.considered} failing paths of the last 14 days, e.g.:\n${preview.matched.slice(0, 5).map((p) => `  ${p}`).join('\n')}\n`);
  } else {
    ctx.io.err(`warning: ${noMatchAdvice(added.pattern, preview)}\n`);
  }
}

export async function exceptionList(ctx: CliContext, flags: { server?: string; json?: boolean }): Promise<void> {
  const rows = await ctx.withDb(async (db) => {
    if (!flags.server) return listExceptions(db);
    const s = await findServer(db, flags.server);
    if (!s) throw new AppError('not_found', `Server "${flags.server}" does not exist (see: backupbot server list).`);
    return listExceptions(db, s);
  });
  if (flags.json) return ctx.io.out(json(rows));
  if (rows.length === 0) return ctx.io.out('No exceptions.\n');
  ctx.io.out(
    table([
      ['ID', 'PATTERN', 'SCOPE', 'STATE', 'EXPIRES', 'BY', 'REASON'],
      ...rows.map((e) => [String(e.id), e.pattern, e.scope, e.state, when(e.expiresAt), e.approvedBy ?? e.createdBy, e.reason]),
    ]),
  );
}

export async function exceptionRemove(ctx: CliContext, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) throw new AppError('usage', `Give the exception's id (see: backupbot exception list); got "${id}".`);
  const row = await ctx.withDb((db) => removeException(db, Number(id), cliActor()));
  ctx.io.out(`Removed exception ${row.id} ("${row.pattern}").\n`);
}
