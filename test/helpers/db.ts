import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.ts';

/** Real Postgres for tests; this machine (and CI) runs one with trust auth. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  database: Database;
  /** Connection string (real Postgres only), for tests that start other processes. */
  url?: string;
  /** Drops what the test created. */
  dispose(): Promise<void>;
}

/** A migrated, empty PGlite database in memory. */
export async function pgliteDb(): Promise<TestDb> {
  const database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  return { database, dispose: () => database.close() };
}

/**
 * A migrated, empty database of its own in the real test Postgres (created next to the
 * one TEST_DATABASE_URL names), so test files can run in parallel without sharing rows.
 */
export async function postgresDb(): Promise<TestDb> {
  const name = `bb_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (err) {
    await admin.end();
    throw new Error(`Cannot use the test Postgres at ${TEST_DATABASE_URL} (${(err as Error).message}). Start it, or set TEST_DATABASE_URL.`);
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), max: 5 });
  await database.migrate();
  return {
    database,
    url: url.toString(),
    async dispose() {
      await database.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Both databases backupbot supports: every integration test runs against each. */
export const DATABASES = [
  ['pglite', pgliteDb],
  ['postgres', postgresDb],
] as const;
