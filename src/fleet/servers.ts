import { and, asc, eq, sql } from 'drizzle-orm';
import { Cron } from 'croner';
import type { Db } from '../db/client.ts';
import { customers, exceptions, servers } from '../db/schema.ts';
import { notExpired, scopeCovers } from '../exceptions/store.ts';
import { AppError } from '../errors.ts';
import { checkName, findCustomer } from './customers.ts';
import { hashToken, newToken, sameHash } from './tokens.ts';

export type Server = typeof servers.$inferSelect;
export interface ServerWithCustomer extends Server {
  customerName: string;
}

export interface AddServerInput {
  customer: string;
  name: string;
  targetHost?: string | undefined;
  scheduleCron?: string | undefined;
  timezone?: string | undefined;
  graceMinutes?: number | undefined;
}

export function checkSchedule(cron: string, timezone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new AppError('usage', `Time zone "${timezone}" is unknown: use an IANA name such as Europe/Oslo or UTC.`);
  }
  try {
    new Cron(cron, { timezone, paused: true }).stop();
  } catch (err) {
    throw new AppError('usage', `Schedule "${cron}" is not a valid cron expression (${(err as Error).message}); e.g. "0 22 * * *" for 22:00 daily.`);
  }
}

/** Creates the server and returns its upload token, which is shown only this once. */
export async function addServer(db: Db, input: AddServerInput): Promise<{ server: Server; token: string }> {
  const name = checkName('Server', input.name);
  const customer = await findCustomer(db, input.customer);
  if (!customer) {
    throw new AppError('not_found', `Customer "${input.customer}" does not exist; add it first with: backupbot customer add "${input.customer}"`);
  }
  const scheduleCron = input.scheduleCron ?? '0 22 * * *';
  const timezone = input.timezone ?? 'UTC';
  checkSchedule(scheduleCron, timezone);
  const token = newToken();
  const [server] = await db
    .insert(servers)
    .values({
      customerId: customer.id,
      name,
      tokenHash: hashToken(token),
      targetHost: input.targetHost ?? null,
      scheduleCron,
      timezone,
      ...(input.graceMinutes !== undefined ? { graceMinutes: input.graceMinutes } : {}),
    })
    .onConflictDoNothing()
    .returning();
  if (!server) throw new AppError('conflict', `Server "${name}" already exists; server names are unique across customers.`);
  return { server, token };
}

export async function rotateToken(db: Db, name: string): Promise<{ server: Server; token: string }> {
  const token = newToken();
  const [server] = await db
    .update(servers)
    .set({ tokenHash: hashToken(token) })
    .where(eq(sql`lower(${servers.name})`, name.trim().toLowerCase()))
    .returning();
  if (!server) throw new AppError('not_found', `Server "${name}" does not exist (see: backupbot server list).`);
  return { server, token };
}

const withCustomer = {
  id: servers.id,
  customerId: servers.customerId,
  name: servers.name,
  tokenHash: servers.tokenHash,
  targetHost: servers.targetHost,
  scheduleCron: servers.scheduleCron,
  timezone: servers.timezone,
  graceMinutes: servers.graceMinutes,
  createdAt: servers.createdAt,
  customerName: customers.name,
};

export async function listServers(db: Db): Promise<ServerWithCustomer[]> {
  return db
    .select(withCustomer)
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .orderBy(asc(customers.name), asc(servers.name));
}

export async function findServer(db: Db, name: string): Promise<ServerWithCustomer | undefined> {
  const [row] = await db
    .select(withCustomer)
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .where(eq(sql`lower(${servers.name})`, name.trim().toLowerCase()));
  return row;
}

/**
 * The server an upload token belongs to, with the exception patterns that apply to it,
 * in one query: this runs for every upload.
 */
export async function findUploader(db: Db, token: string): Promise<(Server & { exceptionPatterns: string[] }) | undefined> {
  const hash = hashToken(token);
  const inForce = db
    .select({ patterns: sql`coalesce(json_agg(${exceptions.pattern}), '[]'::json)` })
    .from(exceptions)
    .where(and(eq(exceptions.state, 'active'), notExpired(), scopeCovers(servers.id, servers.customerId)));
  const [row] = await db
    .select({ server: servers, patterns: sql<string[]>`(${inForce})` })
    .from(servers)
    .where(eq(servers.tokenHash, hash));
  if (!row || !sameHash(row.server.tokenHash, hash)) return undefined;
  return { ...row.server, exceptionPatterns: row.patterns };
}
