import { AppError } from '../errors.ts';
import { resolveServer } from '../fleet/servers.ts';
import { codeLabel } from '../parsers/index.ts';
import { fleetStatus, resultHistory, resultsByDay } from '../reports/status.ts';
import { countByStatus, serverStatus } from '../reports/summary.ts';
import { suspectThresholdsOf } from '../config.ts';
import { baselineView, type BaselineView } from '../reports/baseline.ts';
import { count, duration, size } from '../reports/suspicion-rules.ts';
import type { CliContext } from './context.ts';
import { json, table, when } from './format.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** backupbot status [SERVER]: the fleet worst first, or one server in detail (names match loosely, as in Slack). */
export async function statusCommand(ctx: CliContext, name: string | undefined, flags: { json?: boolean }): Promise<void> {
  if (name === undefined) return fleet(ctx, flags);
  const suspect = suspectThresholdsOf(ctx.config());
  const { detail, guessed, baseline } = await ctx.withDb(async (db) => {
    const found = await resolveServer(db, name);
    return { detail: await serverStatus(db, found.server), guessed: found.guessed, baseline: await baselineView(db, found.server, suspect) };
  });
  const { server, latest, fileErrors, row } = detail;
  if (guessed) ctx.io.err(`(showing "${server.customerName}/${server.name}" for "${name}")\n`);
  if (flags.json) {
    ctx.io.out(
      json({
        server: server.name,
        customer: server.customerName,
        targetHost: server.targetHost,
        status: row.status,
        meaning: row.meaning,
        hint: row.hint,
        suspicion: row.suspicion ?? [],
        canary: server.canaryPath,
        baseline,
        removedAt: server.removedAt,
        pause: row.pause,
        acknowledgement: row.ack,
        lastSuccessAt: row.lastSuccessAt,
        latest: latest && {
          resultId: latest.id,
          reportId: latest.reportId,
          backupAt: latest.backupAt,
          format: latest.format,
          code: latest.code,
          status: latest.status,
          meaning: latest.meaning,
          reason: latest.reason,
          suspicion: latest.suspicion,
          stats: latest.stats,
          counts: { fileErrors: latest.fileErrorCount, excepted: latest.exceptedCount, vanished: latest.vanishedCount },
          fileErrors: fileErrors.map(({ path, kind, message, excepted }) => ({ path, kind, message, excepted })),
        },
      }),
    );
    return;
  }
  const codePart = row.code !== null ? `, ${codeLabel(row.format, row.code)}` : '';
  const lines = [`${server.name} (${server.customerName}) — ${row.status.toUpperCase()}${codePart}: ${row.meaning}`];
  if (server.removedAt) lines.push(`removed ${when(server.removedAt)}: no longer expected; history kept`);
  lines.push(
    latest
      ? `last report ${when(latest.backupAt)}${latest.reportId ? ` (report ${latest.reportId})` : ''}, last ok ${when(row.lastSuccessAt)}`
      : `no reports yet; expected "${server.scheduleCron}" ${server.timezone}, grace ${server.graceMinutes} min`,
  );
  if (row.reason) lines.push(`why: ${row.reason}`);
  for (const s of row.suspicion ?? []) lines.push(`suspect (${s.rule}): ${s.message}`);
  if (latest && latest.reportId) lines.push(...baselineLines(baseline));
  if (row.status !== 'ok') lines.push(`do:  ${row.hint}`);
  if (row.ack) lines.push(`acknowledged by ${row.ack.userId} ${when(row.ack.at)}${row.ack.note ? `: ${row.ack.note}` : ''}`);
  if (row.code !== null) {
    for (const e of fileErrors.slice(0, 50)) lines.push(`  ${e.excepted ? 'excepted ' : ''}${e.kind.padEnd(10)} ${JSON.stringify(e.path)}`);
    if (latest && latest.fileErrorCount > 50) lines.push(`  ... ${latest.fileErrorCount - 50} more file errors (use --json)`);
  }
  ctx.io.out(lines.join('\n') + '\n');
}

/** "files 1,204 (usual 48,113) · size 1.2 GB (usual 40.0 GB) · took 3 min (usual 52 min)" and the trend. */
function baselineLines(b: BaselineView): string[] {
  const latest = b.recent[0];
  if (!latest) return [];
  const lines: string[] = [];
  const pair = (label: string, now: number | null, usual: number | null, fmt: (n: number) => string) =>
    now === null && usual === null ? null : `${label} ${now === null ? '?' : fmt(now)}${usual === null ? '' : ` (usual ${fmt(usual)})`}`;
  const parts = [pair('files', latest.files, b.files, count), pair('size', latest.bytes, b.bytes, size), pair('took', latest.seconds, b.seconds, duration)].filter(Boolean);
  lines.push(`latest: ${parts.join(' · ') || 'the log gives no numbers'}`);
  lines.push(
    b.runs >= b.minRuns
      ? `baseline: median of the last ${b.runs} good runs${b.acceptedAt ? `, since ${when(b.acceptedAt)} (accepted: ${b.acceptedReason ?? ''})` : ''}`
      : `baseline: learning (${b.runs} of ${b.minRuns} good runs needed before drops and short runs are judged)${b.acceptedAt ? `; restarted ${when(b.acceptedAt)}: ${b.acceptedReason ?? ''}` : ''}`,
  );
  const trend = b.recent.slice().reverse();
  if (trend.length > 1) lines.push(`trend (oldest first): ${trend.map((r) => `${r.files === null ? '?' : count(r.files)}${r.status === 'ok' ? '' : ` ${r.status}`}`).join(' → ')} files`);
  return lines;
}

async function fleet(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => fleetStatus(db));
  if (flags.json) {
    ctx.io.out(
      json(
        rows.map(({ server, latest, state, lastSuccessAt }) => ({
          server: server.name,
          customer: server.customerName,
          status: state,
          format: latest?.format ?? null,
          code: latest?.code ?? null,
          meaning: latest?.meaning ?? null,
          backupAt: latest?.backupAt ?? null,
          lastSuccessAt,
          fileErrors: latest?.fileErrorCount ?? 0,
        })),
      ),
    );
    return;
  }
  if (rows.length === 0) {
    ctx.io.out('No servers yet. Add one with: backupbot server add CUSTOMER SERVER\n');
    return;
  }
  const counts = countByStatus(rows);
  ctx.io.out(
    table([
      ['SERVER', 'CUSTOMER', 'STATE', 'CODE', 'LAST REPORT', 'MEANING'],
      ...rows.map(({ server, latest, state }) => [
        server.name,
        server.customerName,
        state,
        latest && latest.status !== 'missing' ? codeLabel(latest.format, latest.code) : '-',
        when(latest?.backupAt),
        state === 'paused' ? `paused: ${server.pauseReason ?? ''}` : state === 'waiting' ? 'waiting for its first report' : (latest?.meaning ?? '-'),
      ]),
    ]) + `\n${rows.length === 1 ? '1 server' : `${rows.length} servers`}: ${['ok', 'failed', 'suspect', 'incomplete', 'missing', 'waiting', 'paused'].map((s) => `${counts[s as keyof typeof counts]} ${s}`).join(', ')}\n`,
  );
}

/** backupbot history SERVER [DAYS]: one line per day with that day's results. */
export async function historyCommand(ctx: CliContext, name: string, daysArg: string | undefined, flags: { json?: boolean }): Promise<void> {
  const days = daysArg === undefined ? 14 : Number(daysArg);
  if (!/^\d+$/.test(daysArg ?? '14') || days < 1 || days > 3660) {
    throw new AppError('usage', `DAYS must be a whole number from 1 to 3660; got "${daysArg}".`);
  }
  const now = new Date();
  const { server, strip } = await ctx.withDb(async (db) => {
    const { server } = await resolveServer(db, name);
    const rows = await resultHistory(db, server.id, new Date(now.getTime() - days * DAY_MS));
    return { server, strip: resultsByDay(rows, now, days, server.timezone) };
  });
  if (flags.json) {
    ctx.io.out(json({ server: server.name, customer: server.customerName, timezone: server.timezone, days: strip }));
    return;
  }
  const lines = strip
    .slice()
    .reverse()
    .map((d) => `${d.day}  ${d.results.length ? d.results.map((r) => (r.status === 'missing' ? 'missing' : `${r.status} ${r.code}`)).join(', ') : '-'}`);
  ctx.io.out(`${server.name} (${server.customerName}), last ${days} days (${server.timezone}):\n${lines.join('\n')}\n`);
}
