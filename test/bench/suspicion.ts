/**
 * What judging suspicion costs an upload at fleet scale: 10,000 servers with a year of nightly
 * reports and results (3.65 million of each) in real Postgres, and the one baseline query an
 * upload makes (the server's last good runs before its time), timed for random servers.
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/rows.ts';
import { loadBaseline } from '../../src/reports/suspicion.ts';
import { postgresDb } from '../helpers/db.ts';
import { bulkLoad } from './bulk.ts';

export interface SuspicionBenchResult {
  servers: number;
  results: number;
  seedSeconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  calls: number;
  /** The plan's first line, to show the partial index is used. */
  plan: string[];
}

export async function suspicionBench(servers: number, days: number, calls: number, log: (m: string) => void): Promise<SuspicionBenchResult> {
  const t = await postgresDb();
  const db = t.database.db;
  try {
    log(`suspicion: seeding ${servers.toLocaleString('en')} servers x ${days} days of reports and results into Postgres...`);
    const started = performance.now();
    // One report per server and night; every 20th night of each server failed (spread by server and
    // day, not by report id: ids need not run per server), one in 50 is a reparse with two results.
    await bulkLoad(db, [
      sql`insert into customers (name) values ('Bench')`,
      sql`
      insert into servers (customer_id, name, token_hash, created_at)
      select 1, 'srv' || lpad(g::text, 5, '0'), md5(g::text) || md5((g + 1)::text), now() - interval '400 days'
      from generate_series(1, ${servers}) g`,
      sql`
      insert into reports (server_id, state, format, size, started_at, finished_at, received_at)
      select s.id, 'stored', 'rsync', 1000,
             date_trunc('day', now()) - (d || ' days')::interval + interval '2 hours',
             date_trunc('day', now()) - (d || ' days')::interval + interval '2 hours 30 minutes',
             date_trunc('day', now()) - (d || ' days')::interval + interval '2 hours 31 minutes'
      from servers s, generate_series(0, ${days - 1}) d`,
      sql`
      insert into results (report_id, server_id, parser_version, format, code, status, meaning, completed, stats, backup_at)
      select r.id, r.server_id, 'rsync/1', 'rsync',
             case when (r.server_id * 7 + extract(epoch from r.finished_at)::bigint / 86400) % 20 = 0 then 23 else 0 end,
             case when (r.server_id * 7 + extract(epoch from r.finished_at)::bigint / 86400) % 20 = 0 then 'failed' else 'ok' end,
             'Success', true,
             jsonb_build_object('filesInspected', 40000 + (r.id * 7919) % 8000, 'bytesProcessed', 2000000000 + (r.id * 104729) % 400000000),
             r.finished_at
      from reports r`,
      sql`
      insert into results (report_id, server_id, parser_version, format, code, status, meaning, completed, stats, backup_at)
      select report_id, server_id, parser_version, format, code, status, meaning, completed, stats, backup_at from results where id % 50 = 0`,
    ]);
    const seedSeconds = (performance.now() - started) / 1000;
    const [{ n }] = rowsOf<{ n: string }>(await db.execute(sql`select count(*)::text as n from results`)) as [{ n: string }];

    const now = new Date();
    const plan = rowsOf<{ 'QUERY PLAN': string }>(
      await db.execute(sql`explain select 1 from results r where r.server_id = 4242 and r.status = 'ok' and r.report_id is not null and r.backup_at < ${now.toISOString()}::timestamptz order by r.backup_at desc, r.id desc limit 14`),
    ).map((r) => r['QUERY PLAN']);
    // Warm up, then time: each call is exactly what an upload adds.
    for (let i = 0; i < 20; i++) await loadBaseline(db, 1 + ((i * 997) % servers), now, 14);
    const ms: number[] = [];
    for (let i = 0; i < calls; i++) {
      const serverId = 1 + ((i * 7919 + 13) % servers);
      const t0 = performance.now();
      const rows = await loadBaseline(db, serverId, now, 14);
      ms.push(performance.now() - t0);
      if (rows.length !== 14) throw new Error(`server ${serverId}: baseline has ${rows.length} runs, expected 14`);
    }
    ms.sort((a, b) => a - b);
    return {
      servers,
      results: Number(n),
      seedSeconds,
      p50Ms: ms[Math.floor(ms.length / 2)]!,
      p99Ms: ms[Math.floor(ms.length * 0.99)]!,
      maxMs: ms[ms.length - 1]!,
      calls,
      plan,
    };
  } finally {
    await t.dispose();
  }
}
