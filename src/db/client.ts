import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { AppError } from '../errors.ts';
import { rowsOf } from './rows.ts';
import * as schema from './schema.ts';

/** One type for both drivers: every query in backupbot is written against this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * A setting the Postgres server reported to postgres.js when it connected (server_encoding,
 * server_version, ...); undefined on PGlite, which reports none this way.
 */
export function serverParameter(db: Db, name: string): string | undefined {
  return (db as { $client?: { parameters?: Record<string, string> } }).$client?.parameters?.[name];
}

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Applies the committed drizzle/ migrations (safe to run again). */
  migrate(): Promise<void>;
  /** One `select 1`; on Postgres over a connection of its own, so a busy pool cannot delay it. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** How many migrations this code ships (drizzle's journal). */
export function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

/**
 * Whether the database has this code's schema, without changing anything: only `serve` and
 * `migrate` apply migrations, so a read-only command never alters a database.
 */
export async function checkSchema(db: Db): Promise<void> {
  const [table] = rowsOf<{ t: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`));
  const applied = table?.t ? Number(rowsOf<{ n: number | string }>(await db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`))[0]?.n ?? 0) : 0;
  const expected = expectedMigrations();
  if (applied === 0) {
    throw new AppError('usage', 'This database has no backupbot tables yet: run "backupbot migrate" (or start "backupbot serve") first.');
  }
  if (applied < expected) {
    throw new AppError('usage', `This database's schema is older than this backupbot (${applied} of ${expected} migrations applied): run "backupbot migrate" first.`);
  }
}

export interface OpenOptions {
  /** Real Postgres when set; embedded PGlite otherwise. */
  url?: string | undefined;
  /** Where PGlite keeps its files ("memory://" for a throwaway database). */
  dataDir?: string;
  /** Postgres only: pool size. */
  max?: number;
  /** Postgres only: give up connecting after this long. */
  connectTimeoutMs?: number;
  /** Postgres only: the server cancels any statement running longer than this. */
  statementTimeoutMs?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts) : openPglite(opts.dataDir ?? './data');
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Database> {
  // Without these, postgres.js waits 30 s per connection attempt and a statement may run
  // forever: an outage then looks like a hang to every uploader.
  const settings = {
    onnotice: () => {},
    connect_timeout: (opts.connectTimeoutMs ?? 2000) / 1000,
    connection: { statement_timeout: opts.statementTimeoutMs ?? 15_000 },
  };
  const client = postgres(url, { ...settings, max: opts.max ?? 10 });
  // Health checks use a connection of their own: a pool full of slow uploads must not
  // make a healthy database look down.
  const pinger = postgres(url, { ...settings, max: 1, idle_timeout: 60 });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async migrate() {
      await migratePostgres(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async ping() {
      await pinger`select 1`;
    },
    async close() {
      await Promise.all([client.end({ timeout: 2 }), pinger.end({ timeout: 1 })]);
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
    },
  };
}
