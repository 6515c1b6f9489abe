import { AppError } from '../errors.ts';
import { pruneCandidates, pruneOld, retentionCutoff, type PruneCounts } from '../reports/retention.ts';
import type { CliContext } from './context.ts';
import { json } from './format.ts';

export interface PruneFlags {
  dryRun?: boolean;
  days?: string;
  json?: boolean;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * backupbot prune [--dry-run] [--days N]: deletes (or, with --dry-run, counts) raw log bytes
 * and posted-message bookkeeping older than RETENTION_DAYS. Verdicts are never deleted.
 */
export async function pruneCommand(ctx: CliContext, flags: PruneFlags): Promise<void> {
  let days = ctx.config().RETENTION_DAYS;
  if (flags.days !== undefined) {
    if (!/^[1-9]\d{0,4}$/.test(flags.days)) throw new AppError('usage', `--days must be a whole number of days, 1 or more; got "${flags.days}".`);
    days = Number(flags.days);
  }
  if (!days) {
    throw new AppError('usage', 'RETENTION_DAYS is not set, so everything is kept: set it (e.g. RETENTION_DAYS=400) or pass --days N to say how old is too old.');
  }
  const cutoff = retentionCutoff(new Date(), days);
  const counts: PruneCounts = await ctx.withDb((db) => (flags.dryRun ? pruneCandidates(db, cutoff) : pruneOld(db, cutoff)));
  if (flags.json) {
    ctx.io.out(json({ dryRun: Boolean(flags.dryRun), days, cutoff: cutoff.toISOString(), ...counts }));
    return;
  }
  const verb = flags.dryRun ? 'Would delete' : 'Deleted';
  ctx.io.out(
    `${verb} the raw logs of ${counts.reports} reports (${mb(counts.bytes)} as uploaded) and ${counts.messages} posted-message records, ` +
      `all older than ${days} days (before ${cutoff.toISOString().slice(0, 16).replace('T', ' ')} UTC). Verdicts and history are kept.\n`,
  );
}
