import { AppError } from '../errors.ts';
import { findServer } from '../fleet/servers.ts';
import { describeCode } from '../parsers/rsync-codes.ts';
import { fleetStatus, serverStatus } from '../reports/status.ts';
import type { CliContext } from './context.ts';
import { json, table, when } from './format.ts';

export async function statusCommand(ctx: CliContext, name: string | undefined, flags: { json?: boolean }): Promise<void> {
  if (name === undefined) return fleet(ctx, flags);
  const detail = await ctx.withDb(async (db) => {
    const server = await findServer(db, name);
    if (!server) throw new AppError('not_found', `Server "${name}" does not exist (see: backupbot server list).`);
    return serverStatus(db, server);
  });
  const { server, latest, fileErrors } = detail;
  if (flags.json) {
    ctx.io.out(
      json({
        server: server.name,
        customer: server.customerName,
        targetHost: server.targetHost,
        latest: latest && {
          resultId: latest.id,
          reportId: latest.reportId,
          backupAt: latest.backupAt,
          code: latest.code,
          status: latest.status,
          meaning: latest.meaning,
          hint: describeCode(latest.code).hint,
          reason: latest.reason,
          counts: { fileErrors: latest.fileErrorCount, excepted: latest.exceptedCount, vanished: latest.vanishedCount },
          fileErrors: fileErrors.map(({ path, kind, message, excepted }) => ({ path, kind, message, excepted })),
        },
      }),
    );
    return;
  }
  if (!latest) {
    ctx.io.out(`${server.name} (${server.customerName}): no reports yet.\n`);
    return;
  }
  const lines = [
    `${server.name} (${server.customerName}) — ${latest.status.toUpperCase()}, code ${latest.code}: ${latest.meaning}`,
    `backup at ${when(latest.backupAt)}${latest.reportId ? `, report ${latest.reportId}` : ''}`,
  ];
  if (latest.reason) lines.push(`why: ${latest.reason}`);
  if (latest.status !== 'ok') lines.push(`do:  ${describeCode(latest.code).hint}`);
  for (const e of fileErrors.slice(0, 50)) lines.push(`  ${e.excepted ? 'excepted ' : ''}${e.kind.padEnd(10)} ${JSON.stringify(e.path)}`);
  if (latest.fileErrorCount > 50) lines.push(`  ... ${latest.fileErrorCount - 50} more file errors (use --json)`);
  ctx.io.out(lines.join('\n') + '\n');
}

async function fleet(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => fleetStatus(db));
  if (flags.json) {
    ctx.io.out(
      json(
        rows.map(({ server, latest }) => ({
          server: server.name,
          customer: server.customerName,
          status: latest?.status ?? null,
          code: latest?.code ?? null,
          meaning: latest?.meaning ?? null,
          backupAt: latest?.backupAt ?? null,
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
  ctx.io.out(
    table([
      ['SERVER', 'CUSTOMER', 'STATUS', 'CODE', 'BACKUP AT', 'MEANING'],
      ...rows.map(({ server, latest }) => [
        server.name,
        server.customerName,
        latest?.status ?? 'no reports',
        latest ? String(latest.code) : '-',
        when(latest?.backupAt),
        latest?.meaning ?? '-',
      ]),
    ]),
  );
}
