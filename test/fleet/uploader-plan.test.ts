import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.ts';
import { findUploader, uploaderSelect } from '../../src/fleet/servers.ts';
import { hashToken } from '../../src/fleet/tokens.ts';
import { postgresDb, type TestDb } from '../helpers/db.ts';

const SERVERS = 5000;

/**
 * Every upload looks its token up with this statement, prepared once and run with a generic
 * plan. On a large fleet that plan must go through the unique index on token_hash: a scan of
 * every server costs milliseconds per upload, and nothing else would show it.
 */
describe('the upload token look-up on a large fleet (Postgres)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await postgresDb();
    const db = t.database.db;
    await db.execute(sql`insert into customers (name) values ('Big')`);
    await db.execute(sql`
      insert into servers (customer_id, name, token_hash)
      select 1, 'srv' || g, encode(sha256(('token-' || g)::bytea), 'hex') from generate_series(1, ${SERVERS}) g`);
    await db.execute(sql`analyze servers`);
  });
  afterAll(async () => t?.dispose());

  it('finds servers by token through the token_hash index, in the generic plan too', async () => {
    const db = t.database.db;
    const found = await findUploader(db, 'token-4242');
    expect(found?.name).toBe('srv4242');
    expect(await findUploader(db, 'token-nope')).toBeUndefined();

    const query = uploaderSelect(db).toSQL();
    // The statement's parameters as SQL literals; the placeholder is the list of token hashes.
    const hashes = `{${hashToken('token-1')},${hashToken('token-2')}}`;
    const literals = query.params.map((p) => `'${(typeof p === 'string' ? p : hashes).replace(/'/g, "''")}'`);
    expect(query.params.filter((p) => typeof p !== 'string')).toHaveLength(1);
    // One session for the prepared statement and the plan setting.
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
      await tx.execute(sql.raw(`prepare uploader_plan_test as ${query.sql}`));
      const rows = rowsOf<Record<string, string>>(await tx.execute(sql.raw(`explain execute uploader_plan_test(${literals.join(', ')})`)));
      await tx.execute(sql`deallocate uploader_plan_test`);
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
    expect(plan).toContain('servers_token_hash_key');
    expect(plan).not.toMatch(/Seq Scan on servers/);
  });
});
