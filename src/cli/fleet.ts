import { AppError } from '../errors.ts';
import { addCustomer } from '../fleet/customers.ts';
import { addServer, listServers, rotateToken } from '../fleet/servers.ts';
import { audit } from '../audit.ts';
import type { CliContext } from './context.ts';
import { cliActor } from './exceptions.ts';
import { json, table, when } from './format.ts';

export async function customerAdd(ctx: CliContext, name: string, flags: { json?: boolean }): Promise<void> {
  const customer = await ctx.withDb((db) => addCustomer(db, name));
  ctx.io.out(flags.json ? json({ id: customer.id, name: customer.name }) : `Added customer "${customer.name}".\n`);
}

export interface ServerAddFlags {
  target?: string;
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
    }),
  );
  if (flags.json) {
    ctx.io.out(json({ id: server.id, name: server.name, customer, targetHost: server.targetHost, schedule: server.scheduleCron, timezone: server.timezone, graceMinutes: server.graceMinutes, token }));
    return;
  }
  ctx.io.out(
    `Added server "${server.name}" (schedule "${server.scheduleCron}" ${server.timezone}, grace ${server.graceMinutes} min).\n` +
      `Upload token (shown only now; store it in the server's backup script):\n${token}\n`,
  );
}

export async function serverList(ctx: CliContext, flags: { json?: boolean }): Promise<void> {
  const rows = await ctx.withDb((db) => listServers(db));
  if (flags.json) {
    ctx.io.out(
      json(
        rows.map((s) => ({ id: s.id, name: s.name, customer: s.customerName, targetHost: s.targetHost, schedule: s.scheduleCron, timezone: s.timezone, graceMinutes: s.graceMinutes, createdAt: s.createdAt })),
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
      ['SERVER', 'CUSTOMER', 'TARGET', 'SCHEDULE', 'TZ', 'ADDED'],
      ...rows.map((s) => [s.name, s.customerName, s.targetHost ?? '-', s.scheduleCron, s.timezone, when(s.createdAt)]),
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
