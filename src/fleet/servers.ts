import { and, asc, desc, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import { Cron } from 'croner';
import type { Db } from '../db/client.ts';
import { coalesce, perHandle } from '../db/coalesce.ts';
import { customers, exceptions, servers } from '../db/schema.ts';
import { notExpired, scopeCovers } from '../exceptions/store.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { checkCanary } from './canary.ts';

export { checkCanary };
import { AppError } from '../errors.ts';
import { checkName, findCustomer } from './customers.ts';
import { resolveName } from './fuzzy.ts';
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
  defaultFormat?: string | undefined;
  canaryPath?: string | undefined;
  suspectDropPercent?: number | undefined;
  suspectShortPercent?: number | undefined;
}


/** A per-server threshold: a whole percentage from 1 to 99. */
export function checkPercent(flag: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 99) {
    throw new AppError('usage', `${flag} must be a whole percentage from 1 to 99; got "${value}".`);
  }
  return value;
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
      ...(input.defaultFormat !== undefined ? { defaultFormat: input.defaultFormat } : {}),
      ...(input.canaryPath !== undefined ? { canaryPath: checkCanary(input.canaryPath) } : {}),
      ...(input.suspectDropPercent !== undefined ? { suspectDropPercent: checkPercent('--drop-percent', input.suspectDropPercent) } : {}),
      ...(input.suspectShortPercent !== undefined ? { suspectShortPercent: checkPercent('--short-percent', input.suspectShortPercent) } : {}),
    })
    .onConflictDoNothing()
    .returning();
  if (!server) throw new AppError('conflict', `${customer.name} already has a server called "${name}"; pick another name, or remove the old one first.`);
  return { server, token };
}

export async function rotateToken(db: Db, name: string): Promise<{ server: Server; token: string }> {
  const found = await requireServer(db, name);
  const token = newToken();
  const [server] = await db.update(servers).set({ tokenHash: hashToken(token) }).where(eq(servers.id, found.id)).returning();
  return { server: server!, token };
}

const withCustomer = { ...getTableColumns(servers), customerName: customers.name };

/** Servers in service (removed ones with `includeRemoved`), by customer then name. */
export async function listServers(db: Db, opts: { includeRemoved?: boolean } = {}): Promise<ServerWithCustomer[]> {
  return db
    .select(withCustomer)
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .where(opts.includeRemoved ? undefined : isNull(servers.removedAt))
    .orderBy(asc(customers.name), asc(servers.name));
}

/**
 * The servers a name can mean: "DC01" (any customer) or "Acme/DC01". Servers in service come
 * first; a removed server is found only when no server in service has that name, so its
 * history stays reachable.
 */
export async function serversNamed(db: Db, name: string): Promise<ServerWithCustomer[]> {
  const trimmed = name.trim();
  const slash = trimmed.lastIndexOf('/');
  const customer = slash > 0 ? trimmed.slice(0, slash).trim().toLowerCase() : null;
  const server = (slash > 0 ? trimmed.slice(slash + 1) : trimmed).trim().toLowerCase();
  const rows = await db
    .select(withCustomer)
    .from(servers)
    .innerJoin(customers, eq(customers.id, servers.customerId))
    .where(and(eq(sql`lower(${servers.name})`, server), customer === null ? undefined : eq(sql`lower(${customers.name})`, customer)))
    .orderBy(asc(customers.name), desc(servers.id));
  const live = rows.filter((r) => !r.removedAt);
  return live.length ? live : rows.slice(0, 1);
}

/** The one server a name means, or undefined; an ambiguous name is a usage error that lists the choices. */
export async function findServer(db: Db, name: string): Promise<ServerWithCustomer | undefined> {
  const rows = await serversNamed(db, name);
  if (rows.length > 1) throw ambiguous(name, rows);
  return rows[0];
}

export function ambiguous(name: string, rows: ServerWithCustomer[]): AppError {
  return new AppError('usage', `More than one customer has a server called "${name.trim()}": say which one, as ${rows.map((r) => `"${r.customerName}/${r.name}"`).join(' or ')}.`);
}

export async function requireServer(db: Db, name: string): Promise<ServerWithCustomer> {
  const server = await findServer(db, name);
  if (!server) throw new AppError('not_found', `Server "${name}" does not exist (see: backupbot server list).`);
  return server;
}

async function requireLiveServer(db: Db, name: string): Promise<ServerWithCustomer> {
  const server = await requireServer(db, name);
  if (server.removedAt) throw new AppError('conflict', `Server "${server.name}" was removed on ${server.removedAt.toISOString().slice(0, 10)}; its history is kept, but it can no longer be changed.`);
  return server;
}

export interface ServerSettings {
  scheduleCron?: string | undefined;
  timezone?: string | undefined;
  graceMinutes?: number | undefined;
  targetHost?: string | null | undefined;
  customer?: string | undefined;
  defaultFormat?: string | undefined;
  /** A path sets the canary; null removes it. */
  canaryPath?: string | null | undefined;
  /** A percentage overrides the default; null goes back to it. */
  suspectDropPercent?: number | null | undefined;
  suspectShortPercent?: number | null | undefined;
}

/** Changes a server's schedule, target, customer or default format; returns the server as it is now. */
export async function setServer(db: Db, name: string, input: ServerSettings): Promise<{ server: ServerWithCustomer; changed: Record<string, unknown> }> {
  const current = await requireLiveServer(db, name);
  const changed: Record<string, unknown> = {};
  if (input.scheduleCron !== undefined || input.timezone !== undefined) {
    checkSchedule(input.scheduleCron ?? current.scheduleCron, input.timezone ?? current.timezone);
  }
  if (input.scheduleCron !== undefined) changed.scheduleCron = input.scheduleCron;
  if (input.timezone !== undefined) changed.timezone = input.timezone;
  if (input.graceMinutes !== undefined) {
    if (!Number.isInteger(input.graceMinutes) || input.graceMinutes < 0 || input.graceMinutes > 7 * 24 * 60) {
      throw new AppError('usage', `Grace must be a whole number of minutes between 0 and ${7 * 24 * 60} (a week); got ${input.graceMinutes}.`);
    }
    changed.graceMinutes = input.graceMinutes;
  }
  if (input.targetHost !== undefined) changed.targetHost = input.targetHost === null || input.targetHost.trim() === '' ? null : input.targetHost.trim();
  if (input.defaultFormat !== undefined) changed.defaultFormat = input.defaultFormat;
  if (input.canaryPath !== undefined) changed.canaryPath = input.canaryPath === null ? null : checkCanary(input.canaryPath);
  if (input.suspectDropPercent !== undefined) changed.suspectDropPercent = input.suspectDropPercent === null ? null : checkPercent('--drop-percent', input.suspectDropPercent);
  if (input.suspectShortPercent !== undefined) changed.suspectShortPercent = input.suspectShortPercent === null ? null : checkPercent('--short-percent', input.suspectShortPercent);
  if (input.customer !== undefined) {
    const customer = await findCustomer(db, input.customer);
    if (!customer) throw new AppError('not_found', `Customer "${input.customer}" does not exist (see: backupbot customer list).`);
    changed.customerId = customer.id;
  }
  if (Object.keys(changed).length === 0) throw new AppError('usage', 'Nothing to change: give at least one of --schedule, --timezone, --grace, --target, --customer, --format, --canary, --no-canary, --drop-percent, --short-percent.');
  try {
    await db.update(servers).set(changed).where(eq(servers.id, current.id));
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', `Customer "${input.customer}" already has a server called "${current.name}"; rename one first.`);
    throw err;
  }
  return { server: (await serverById(db, current.id))!, changed };
}

export async function renameServer(db: Db, name: string, newName: string): Promise<{ before: string; server: ServerWithCustomer }> {
  const current = await requireLiveServer(db, name);
  const clean = checkName('Server', newName);
  try {
    await db.update(servers).set({ name: clean }).where(eq(servers.id, current.id));
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', `${current.customerName} already has a server called "${clean}".`);
    throw err;
  }
  return { before: current.name, server: (await serverById(db, current.id))! };
}

/** Pauses a server: it is shown as paused, never missing, and never escalates until resumed or `until`. */
export async function pauseServer(db: Db, name: string, input: { reason: string; until: Date | null; actor: string; now?: Date }): Promise<ServerWithCustomer> {
  const current = await requireLiveServer(db, name);
  const now = input.now ?? new Date();
  const reason = input.reason.trim();
  if (reason.length < 3) throw new AppError('usage', 'Say why the server is paused (--reason "decommissioned in December"), so the team knows.');
  if (input.until && input.until <= now) throw new AppError('usage', `The pause would end at ${input.until.toISOString()}, which is already past: give a future date.`);
  await db.update(servers).set({ pausedAt: now, pausedUntil: input.until, pauseReason: reason, pausedBy: input.actor }).where(eq(servers.id, current.id));
  return (await serverById(db, current.id))!;
}

/** Ends a pause now; slots that fell inside the pause are not counted as missing. */
export async function resumeServer(db: Db, name: string, now = new Date()): Promise<ServerWithCustomer> {
  const current = await requireLiveServer(db, name);
  if (!current.pausedAt || (current.pausedUntil && current.pausedUntil <= now)) throw new AppError('conflict', `Server "${current.name}" is not paused.`);
  await db.update(servers).set({ pausedUntil: now }).where(eq(servers.id, current.id));
  return (await serverById(db, current.id))!;
}

/** Takes a server out of service: its token stops working, it is no longer expected, its history stays. */
export async function removeServer(db: Db, name: string, now = new Date()): Promise<ServerWithCustomer> {
  const current = await requireLiveServer(db, name);
  // A hash no token can have: uploads with the old token are refused from now on.
  await db.update(servers).set({ removedAt: now, tokenHash: `revoked:${current.id}:${now.getTime()}` }).where(eq(servers.id, current.id));
  return (await serverById(db, current.id))!;
}

export async function serverById(db: Db, id: number): Promise<ServerWithCustomer | undefined> {
  const [row] = await db.select(withCustomer).from(servers).innerJoin(customers, eq(customers.id, servers.customerId)).where(eq(servers.id, id));
  return row;
}

/**
 * The server an upload token belongs to, with the exception patterns that apply to it,
 * in one query: this runs for every upload.
 */
export async function findUploader(db: Db, token: string): Promise<(Server & { exceptionPatterns: string[] }) | undefined> {
  const hash = hashToken(token);
  const row = await uploaderLookup(db)(hash);
  if (!row || !sameHash(row.server.tokenHash, hash)) return undefined;
  return { ...row.server, exceptionPatterns: row.patterns };
}

/**
 * Every upload runs this query: it is built once per database handle and reused (drizzle
 * prepares it), and uploads arriving together look their tokens up in one statement.
 */
function buildUploaderQuery(db: Db) {
  return uploaderSelect(db).prepare('find_uploaders');
}

/** The look-up every upload makes, before it is prepared (exported so a test can check its plan). */
export function uploaderSelect(db: Db) {
  const inForce = db
    .select({ patterns: sql`coalesce(json_agg(${exceptions.pattern}), '[]'::json)` })
    .from(exceptions)
    .where(and(eq(exceptions.state, 'active'), notExpired(), scopeCovers(servers.id, servers.customerId)));
  return db
    .select({ server: servers, patterns: sql<string[]>`(${inForce})` })
    .from(servers)
    // `= any(array)` keeps the unique index on token_hash in the generic plan of the prepared
    // statement (an `in (select jsonb_array_elements_text(...))` became a scan of every server).
    .where(sql`${servers.tokenHash} = any(${sql.placeholder('hashes')}::text[])`);
}

const uploaderLookup = perHandle((db: Db) => {
  const query = buildUploaderQuery(db);
  return coalesce(async (hashes: string[]) => {
    // Hashes are hex, so a Postgres array literal needs no quoting.
    const rows = await query.execute({ hashes: `{${hashes.join(',')}}` });
    const byHash = new Map(rows.map((r) => [r.server.tokenHash, r]));
    return hashes.map((h) => byHash.get(h));
  });
});

/**
 * What a person meant by a server name, as Slack reads it: the exact name ("DC01" or
 * "Acme/DC01"), else a unique prefix or a small typo. `guessed` says the match was not exact.
 */
export async function resolveServer(db: Db, query: string): Promise<{ server: ServerWithCustomer; guessed: boolean }> {
  const exact = await findServer(db, query);
  if (exact) return { server: exact, guessed: false };
  const found = resolveName(query, await listServers(db));
  if (found.match) return { server: found.match, guessed: true };
  const maybe = found.suggestions.length ? ` Did you mean ${found.suggestions.map((s) => `"${s.name}"`).join(', ')}?` : '';
  throw new AppError('not_found', `Server "${query}" does not exist.${maybe} (see: backupbot server list)`);
}
