import { AppError } from '../errors.ts';
import { addCustomer, customersWithCounts, renameCustomer } from '../fleet/customers.ts';
import { addServer, listServers, requireServer, pauseServer, removeServer, renameServer, resumeServer, rotateToken, setServer, type ServerWithCustomer } from '../fleet/servers.ts';
import { canaryAdvice, FORMATS } from '../parsers/index.ts';
import { audit } from '../audit.ts';
import { suspectThresholdsOf } from '../config.ts';
import { rebaseline } from '../reports/baseline.ts';
import type { CliContext } from './context.ts';
import { cliActor } from './exceptions.ts';
import { json, table, when } from './format.ts';

export async function customerAdd(ctx: CliContext, name: string, flags: { json?: boolean }): Promise<void> {
  const customer = await ctx.withDb((db) => addCustomer(db, name));
  ctx.io.out(flags.json ? json({ id: customer.id, name: customer.name }) : `Added customer "${customer.name}".\n`);
}

export interface ServerAddFlags {
  canary?: string;
  dropPercent?: string;
  shortPercent?: string;
  target?: string;
  format?: string;
  schedule?: string;
  timezone?: string;
  grace?: string;
  json?: boolean;
}

export async function serverAdd(ctx: CliContext, customer: string, name: string, flags: ServerAddFlags): Promise<void> {
  let graceMinutes: number | undefined;
  if (flags.grace !== undefined) {
    if (!/^\d{1,5}$/.test(flags.grace)) throw new AppError('usage', `--grace must be a number of minutes; got "${flags.grace}".`);
    graceMinutes = Number(flags.grace);
  }
  const { server, token } = await ctx.withDb((db) =>
    addServer(db, {
      customer,
      name,
      targetHost: flags.target,
      scheduleCron: flags.schedule,
      timezone: flags.timezone,
      graceMinutes,
      defaultFormat: checkFormat(flags.format),
      canaryPath: flags.canary,
      suspectDropPercent: percentFlag('--drop-percent', flags.dropPercent) ?? undefined,
      suspectShortPercent: percentFlag('--short-percent', flags.shortPercent) ?? undefined,
    }),
  );
  if (flags.json) {
    ctx.io.out(json({ id: server.id, name: server.name, customer, targetHost: server.targetHost, schedule: server.scheduleCron, timezone: server.timezone, graceMinutes: server.graceMinutes, token }));
    return;
  }
  ctx.io.out(
    `Added server "${server.name}" (schedule "${server.scheduleCron}" ${server.timezone}, grace ${server.graceMinutes} min).\n` +
      `Upload token (shown only now; store it in the server's backup script):\n${token}\n` +
      (server.canaryPath ? canaryNote(server.canaryPath, server.defaultFormat) : ''),
  );
}

export async function serverList(ctx: CliContext, flags: { json?: boolean; all?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => listServers(db, { includeRemoved: flags.all === true }));
  if (flags.json) {
    ctx.io.out(json(rows.map(serverJson)));
    return;
  }
  if (rows.length === 0) {
    ctx.io.out('No servers yet. Add one with: backupbot server add CUSTOMER SERVER\n');
    return;
  }
  ctx.io.out(
    table([
      ['SERVER', 'CUSTOMER', 'TARGET', 'SCHEDULE', 'TZ', 'GRACE', 'ADDED', 'NOTE'],
      ...rows.map((s) => [s.name, s.customerName, s.targetHost ?? '-', s.scheduleCron, s.timezone, `${s.graceMinutes} min`, when(s.createdAt), noteOf(s)]),
    ]),
  );
}

export async function serverRotateToken(ctx: CliContext, name: string, flags: { json?: boolean }): Promise<void> {
  const { server, token } = await ctx.withDb(async (db) => {
    const rotated = await rotateToken(db, name);
    await audit(db, cliActor(), 'token.rotate', rotated.server.id);
    return rotated;
  });
  ctx.io.out(
    flags.json
      ? json({ id: server.id, name: server.name, token })
      : `New upload token for "${server.name}" (the old one stops working now; shown only once):\n${token}\n`,
  );
}

export interface ServerSetFlags {
  /** A path, or false for --no-canary. */
  canary?: string | false;
  dropPercent?: string;
  shortPercent?: string;
  schedule?: string;
  timezone?: string;
  grace?: string;
  target?: string;
  customer?: string;
  format?: string;
  json?: boolean;
}

function graceFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value)) throw new AppError('usage', `--grace must be a number of minutes; got "${value}".`);
  return Number(value);
}

/** --drop-percent / --short-percent: a whole percentage, or "default" to use the configured one again (null). */
function percentFlag(flag: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default') return null;
  if (!/^\d{1,2}$/.test(value) || Number(value) < 1) throw new AppError('usage', `${flag} must be a whole percentage from 1 to 99 (or "default"); got "${value}".`);
  return Number(value);
}

/** What the backup script must do for the canary to be proven, for the tools this server may upload. */
function canaryNote(path: string, format: string): string {
  return `Canary ${path}: rewrite it right before each backup; every run whose log does not show it copied is suspect.\n${canaryAdvice(format).map((l) => `  ${l}\n`).join('')}`;
}

function checkFormat(format: string | undefined): string | undefined {
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) throw new AppError('usage', `--format must be one of ${FORMATS.join(', ')}; got "${format}".`);
  return format;
}

function noteOf(s: ServerWithCustomer): string {
  if (s.removedAt) return `removed ${when(s.removedAt)}`;
  if (s.pausedAt && (!s.pausedUntil || s.pausedUntil > new Date())) return `paused${s.pausedUntil ? ` until ${when(s.pausedUntil)}` : ''}: ${s.pauseReason ?? ''}`;
  return '';
}

const serverJson = (s: ServerWithCustomer) => ({
  id: s.id,
  name: s.name,
  customer: s.customerName,
  targetHost: s.targetHost,
  schedule: s.scheduleCron,
  timezone: s.timezone,
  graceMinutes: s.graceMinutes,
  format: s.defaultFormat,
  canary: s.canaryPath,
  dropPercent: s.suspectDropPercent,
  shortPercent: s.suspectShortPercent,
  paused: s.pausedAt && (!s.pausedUntil || s.pausedUntil > new Date()) ? { reason: s.pauseReason, until: s.pausedUntil, by: s.pausedBy } : null,
  removedAt: s.removedAt,
  createdAt: s.createdAt,
});

export async function serverSet(ctx: CliContext, name: string, flags: ServerSetFlags): Promise<void> {
  checkFormat(flags.format);
  const { server, changed } = await ctx.withDb(async (db) => {
    const done = await setServer(db, name, {
      scheduleCron: flags.schedule,
      timezone: flags.timezone,
      graceMinutes: graceFlag(flags.grace),
      targetHost: flags.target,
      customer: flags.customer,
      defaultFormat: flags.format,
      canaryPath: flags.canary === false ? null : flags.canary,
      suspectDropPercent: percentFlag('--drop-percent', flags.dropPercent),
      suspectShortPercent: percentFlag('--short-percent', flags.shortPercent),
    });
    await audit(db, cliActor(), 'server.set', done.server.id, done.changed);
    return done;
  });
  ctx.io.out(
    flags.json
      ? json(serverJson(server))
      : `Updated "${server.customerName}/${server.name}": ${Object.keys(changed).join(', ')}.\n` +
          (typeof flags.canary === 'string' && server.canaryPath ? canaryNote(server.canaryPath, server.defaultFormat) : ''),
  );
}

export async function serverRename(ctx: CliContext, name: string, newName: string, flags: { json?: boolean }): Promise<void> {
  const { before, server } = await ctx.withDb(async (db) => {
    const done = await renameServer(db, name, newName);
    await audit(db, cliActor(), 'server.rename', done.server.id, { from: done.before, to: done.server.name });
    return done;
  });
  ctx.io.out(flags.json ? json(serverJson(server)) : `Renamed "${before}" to "${server.name}" (${server.customerName}); its history and token are unchanged.\n`);
}

function dateFlag(value: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) throw new AppError('usage', `--until must be a date like 2027-01-31 (or an ISO time); got "${value}".`);
  return d;
}

export async function serverPause(ctx: CliContext, name: string, flags: { reason?: string; until?: string; json?: boolean }): Promise<void> {
  if (!flags.reason) throw new AppError('usage', 'Say why with --reason "moved to a new backup system", so the team knows.');
  const until = flags.until ? dateFlag(flags.until) : null;
  const server = await ctx.withDb(async (db) => {
    const s = await pauseServer(db, name, { reason: flags.reason!, until, actor: cliActor() });
    await audit(db, cliActor(), 'server.pause', s.id, { reason: s.pauseReason, until: s.pausedUntil });
    return s;
  });
  ctx.io.out(
    flags.json
      ? json(serverJson(server))
      : `Paused "${server.name}"${until ? ` until ${until.toISOString().slice(0, 10)}` : ' until you resume it'}: it is listed as paused, never missing, and never escalated.\n`,
  );
}

export async function serverResume(ctx: CliContext, name: string, flags: { json?: boolean }): Promise<void> {
  const server = await ctx.withDb(async (db) => {
    const s = await resumeServer(db, name);
    await audit(db, cliActor(), 'server.resume', s.id);
    return s;
  });
  ctx.io.out(flags.json ? json(serverJson(server)) : `Resumed "${server.name}": its next scheduled backup is expected again.\n`);
}

export async function serverRemove(ctx: CliContext, name: string, flags: { json?: boolean }): Promise<void> {
  const server = await ctx.withDb(async (db) => {
    const s = await removeServer(db, name);
    await audit(db, cliActor(), 'server.remove', s.id);
    return s;
  });
  ctx.io.out(
    flags.json
      ? json(serverJson(server))
      : `Removed "${server.name}" (${server.customerName}): its upload token no longer works and it is no longer expected. Its history is kept (backupbot history "${server.customerName}/${server.name}").\n`,
  );
}

export async function customerList(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => customersWithCounts(db));
  if (flags.json) return ctx.io.out(json(rows.map((c) => ({ id: c.id, name: c.name, servers: c.servers, createdAt: c.createdAt }))));
  if (rows.length === 0) return ctx.io.out('No customers yet. Add one with: backupbot customer add NAME\n');
  ctx.io.out(table([['CUSTOMER', 'SERVERS', 'ADDED'], ...rows.map((c) => [c.name, String(c.servers), when(c.createdAt)])]));
}

export async function customerRename(ctx: CliContext, name: string, newName: string, flags: { json?: boolean }): Promise<void> {
  const { before, customer } = await ctx.withDb(async (db) => {
    const done = await renameCustomer(db, name, newName);
    await audit(db, cliActor(), 'customer.rename', null, { customerId: done.customer.id, from: done.before, to: done.customer.name });
    return done;
  });
  ctx.io.out(flags.json ? json({ id: customer.id, name: customer.name }) : `Renamed customer "${before}" to "${customer.name}".\n`);
}

/** backupbot server rebaseline SERVER --reason TEXT: the latest run becomes the first of a new baseline. */
export async function serverRebaseline(ctx: CliContext, name: string, flags: { reason?: string; json?: boolean }): Promise<void> {
  if (!flags.reason) throw new AppError('usage', 'Say why the latest run is the new normal with --reason "old archives deleted on 3 May", so the team knows later.');
  const suspect = suspectThresholdsOf(ctx.config());
  const { server, done } = await ctx.withDb(async (db) => {
    const s = await requireServer(db, name);
    const d = await rebaseline(db, s, { reason: flags.reason!, actor: cliActor(), suspect });
    await audit(db, cliActor(), 'server.rebaseline', s.id, { reason: flags.reason!.trim(), resultId: d.resultId, reportId: d.reportId, startsAt: d.startsAt });
    return { server: s, done: d };
  });
  const accepted = done.rejudged.find((o) => o.reportId === done.reportId);
  if (flags.json) {
    ctx.io.out(
      json({
        server: server.name,
        customer: server.customerName,
        startsAt: done.startsAt,
        acceptedReportId: done.reportId,
        rejudged: done.rejudged.map((o) => ({ reportId: o.reportId, resultId: o.resultId, status: o.verdict.status, suspicion: o.verdict.suspicion ?? [] })),
      }),
    );
    return;
  }
  const still = accepted?.verdict.suspicion ?? [];
  ctx.io.out(
    `The baseline of "${server.customerName}/${server.name}" now starts with the run of ${done.startsAt.toISOString()} (report ${done.reportId}); it is ${accepted?.verdict.status ?? 'unchanged'} now.\n` +
      (still.length ? still.map((s) => `  still suspect: ${s.message}\n`).join('') : '') +
      `Drops and short runs are judged again once it has enough good runs (SUSPECT_MIN_RUNS).\n`,
  );
}
