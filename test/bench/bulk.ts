import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';

/**
 * Loads generated history the way a bulk import would: in one transaction with no statement
 * time limit (the service's 15 s limit is for requests), and without the per-row trigger that
 * keeps server_current; the table is then filled from the history, as migration 0010 fills it
 * on an existing database. Returns how long that fill took.
 */
export async function bulkLoad(db: Db, statements: SQL[]): Promise<{ backfillSeconds: number }> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`alter table results disable trigger server_current_result_insert`);
    for (const s of statements) await tx.execute(s);
    await tx.execute(sql`alter table results enable trigger server_current_result_insert`);
  });
  const started = performance.now();
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`select server_current_refresh(id) from servers`);
  });
  const backfillSeconds = (performance.now() - started) / 1000;
  await db.execute(sql`analyze`);
  return { backfillSeconds };
}

/**
 * `servers` servers named srv00001.., 20 to a customer ("Customer 0001"..), on 40 backup
 * targets, added 400 days ago: the fleet the /backup and web benches seed their history for.
 */
export function fleetSeed(servers: number): SQL[] {
  const customers = Math.ceil(servers / 20);
  return [
    sql`insert into customers (name) select 'Customer ' || lpad(g::text, 4, '0') from generate_series(1, ${customers}) g`,
    sql`
    insert into servers (customer_id, name, token_hash, target_host, created_at)
    select 1 + (g % ${customers}), 'srv' || lpad(g::text, 5, '0'), md5(g::text) || md5((g + 1)::text), 'custbak' || (g % 40), now() - interval '400 days'
    from generate_series(1, ${servers}) g`,
  ];
}
