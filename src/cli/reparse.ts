import { suspectThresholdsOf } from '../config.ts';
import { SingleBar, Presets } from 'cli-progress';
import { audit } from '../audit.ts';
import { AppError } from '../errors.ts';
import { findServer } from '../fleet/servers.ts';
import { countReports, describeChanges, reparseReports, type ReparseScope } from '../reports/reparse.ts';
import type { CliContext } from './context.ts';
import { cliActor } from './exceptions.ts';
import { json } from './format.ts';

export interface ReparseFlags {
  server?: string;
  since?: string;
  all?: boolean;
  json?: boolean;
}

/** backupbot reparse: the current parser over stored reports; new results, old ones kept. */
export async function reparseCommand(ctx: CliContext, flags: ReparseFlags): Promise<void> {
  if (!flags.server && !flags.since && !flags.all) {
    throw new AppError('usage', 'Say what to reparse: --server NAME, --since YYYY-MM-DD, or --all for every stored report.');
  }
  let since: Date | undefined;
  if (flags.since) {
    since = new Date(/^\d{4}-\d{2}-\d{2}$/.test(flags.since) ? `${flags.since}T00:00:00Z` : flags.since);
    if (Number.isNaN(since.getTime())) throw new AppError('usage', `--since must be a date like 2026-11-01; got "${flags.since}".`);
  }
  const result = await ctx.withDb(async (db) => {
    const scope: ReparseScope = { ...(since ? { since } : {}), suspect: suspectThresholdsOf(ctx.config()) };
    let serverId: number | null = null;
    if (flags.server) {
      const s = await findServer(db, flags.server);
      if (!s) throw new AppError('not_found', `Server "${flags.server}" does not exist (see: backupbot server list).`);
      scope.serverIds = [s.id];
      serverId = s.id;
    }
    const total = await countReports(db, scope);
    // A bar only where someone watches; scripts and CI get the summary line alone.
    const bar = ctx.io.tty && !flags.json ? new SingleBar({ format: 'reparse [{bar}] {value}/{total} · {changed} changed · eta {eta}s', stream: process.stderr }, Presets.shades_classic) : null;
    bar?.start(total, 0, { changed: 0 });
    const report = await reparseReports(db, scope, (done, changed) => bar?.update(done, { changed }));
    bar?.stop();
    await audit(db, cliActor(), 'reparse', serverId, { since: since?.toISOString() ?? null, all: !!flags.all, reports: report.total, changed: report.changed.length });
    return report;
  });
  ctx.io.out(flags.json ? json({ total: result.total, changed: result.changed, summary: describeChanges(result) }) : `${describeChanges(result)}\n`);
}
