import { AppError } from '../errors.ts';
import { checkServerCurrent, rebuildServerCurrent } from '../fleet/current.ts';
import type { CliContext } from './context.ts';
import { json } from './format.ts';

export interface DoctorFlags {
  fix?: boolean;
  json?: boolean;
}

/**
 * backupbot doctor [--fix]: compares each server's current state (latest result, last success,
 * failing streak, acknowledgement in force), which every fleet view reads, with what the full
 * history says. Differences exit 1; --fix recomputes those servers and checks again.
 */
export async function doctorCommand(ctx: CliContext, flags: DoctorFlags): Promise<void> {
  const { found, left } = await ctx.withDb(async (db) => {
    const found = await checkServerCurrent(db);
    if (!flags.fix || found.length === 0) return { found, left: found };
    await rebuildServerCurrent(db, found.map((m) => m.serverId));
    return { found, left: await checkServerCurrent(db) };
  });
  if (flags.json) ctx.io.out(json({ checked: 'server_current', differences: found, fixed: flags.fix ? found.length - left.length : 0, remaining: left.length }));
  else if (found.length === 0) ctx.io.out('Current state matches the history for every server.\n');
  else {
    for (const m of found.slice(0, 50)) {
      const what = Object.entries(m.fields).map(([k, v]) => `${k} stored ${v.stored ?? 'null'}, history says ${v.expected ?? 'null'}`);
      ctx.io.out(`server ${m.serverId}: ${what.join('; ')}\n`);
    }
    if (found.length > 50) ctx.io.out(`…and ${found.length - 50} more servers\n`);
    ctx.io.out(flags.fix ? `Rebuilt ${found.length} servers from their history; ${left.length} still differ.\n` : '');
  }
  if (left.length > 0) {
    throw new AppError('check_failed', `${left.length} servers' current state differs from their history${flags.fix ? ' even after a rebuild' : ''}: run "backupbot doctor --fix".`);
  }
}
