/**
 * The history page at fleet scale: 2,000 servers with a year of nightly results (730,000
 * rows) in real Postgres, fetched over loopback HTTP with a signed-in session, as a browser
 * would. Target: p95 under 500 ms for all 2,000 servers on one page.
 */
import { sql } from 'drizzle-orm';
import { postgresDb } from '../helpers/db.ts';
import { bulkLoad, fleetSeed } from './bulk.ts';
import { percentile } from './percentile.ts';
import { startTestService } from '../helpers/service.ts';
import { signInUrl, webSecret } from '../../src/web/auth.ts';

export interface PageTiming {
  what: string;
  path: string;
  p50Ms: number;
  p95Ms: number;
  kb: number;
}

export interface WebBenchResult {
  servers: number;
  results: number;
  seedSeconds: number;
  timings: PageTiming[];
}

/** A year of nightly results: mostly ok, some failed, incomplete, missing and ok by exceptions. */
async function seed(db: Awaited<ReturnType<typeof postgresDb>>['database']['db'], servers: number, days: number): Promise<number> {
  await bulkLoad(db, [
    ...fleetSeed(servers),
    sql`
    insert into results (server_id, parser_version, format, code, status, meaning, completed, ok_by_exceptions, backup_at)
    select s.id, 'rsync/1', 'rsync', v.code, v.status, v.meaning, v.status <> 'incomplete', v.exc,
           date_trunc('day', now()) - (d || ' days')::interval + interval '2 hours'
    from servers s, generate_series(0, ${days - 1}) d,
    lateral (select case (s.id * 7 + d) % 40
                      when 0 then 23 when 1 then 23 when 2 then -2 when 3 then 23 else 0 end as code,
                    case (s.id * 7 + d) % 40
                      when 0 then 'failed' when 1 then 'failed' when 2 then 'incomplete' when 3 then 'ok' else 'ok' end as status,
                    case (s.id * 7 + d) % 40
                      when 0 then 'Partial transfer due to error' when 1 then 'Partial transfer due to error' when 2 then 'Backup did not complete'
                      when 3 then 'Partial transfer due to error' else 'Success' end as meaning,
                    (s.id * 7 + d) % 40 = 3 as exc) v`,
  ]);
  return servers * days;
}

export async function webHistoryBench(servers: number, days: number, runs: number, log: (m: string) => void): Promise<WebBenchResult> {
  const t = await postgresDb();
  try {
    log(`web: seeding ${servers.toLocaleString('en')} servers x ${days} days of results into Postgres...`);
    const seedStart = performance.now();
    const rows = await seed(t.database.db, servers, days);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const svc = await startTestService(t.database, {});
    try {
      const { url } = signInUrl(svc.url, await webSecret(t.database.db, undefined), 'bench', 1);
      const login = await fetch(url, { redirect: 'manual' });
      const cookie = login.headers.get('set-cookie')?.split(';')[0];
      if (!cookie) throw new Error(`sign-in answered ${login.status} without a session cookie`);
      const year = new Date().getUTCFullYear();
      const pages: Array<[string, string]> = [
        [`history, this month, all ${servers.toLocaleString('en')} servers on one page`, `/reports/history?per=${servers}`],
        [`history, ${year} by week, all servers on one page`, `/reports/history?year=${year}&per=${servers}`],
        ['history, this month, default page (1,000 servers)', '/reports/history'],
        [`history, ${year} by week, default page (200 servers)`, `/reports/history?year=${year}`],
        ['history, one customer', '/reports/history?customer=Customer+0042'],
        ['history, state=failed, one target', '/reports/history?state=failed&target=custbak3'],
        ['server page (90 days, reports, chart)', '/servers/srv00042'],
      ];
      const timings: PageTiming[] = [];
      for (const [what, path] of pages) {
        const ms: number[] = [];
        let bytes = 0;
        for (let i = 0; i < runs + 1; i++) {
          const started = performance.now();
          const res = await fetch(`${svc.url}${path}`, { headers: { cookie, accept: 'text/html' } });
          const body = await res.arrayBuffer();
          // The first fetch warms the plan cache and the JIT: not counted.
          if (i > 0) ms.push(performance.now() - started);
          bytes = body.byteLength;
          if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        }
        ms.sort((a, b) => a - b);
        timings.push({ what, path, p50Ms: ms[Math.floor(ms.length / 2)]!, p95Ms: percentile(ms, 95), kb: bytes / 1024 });
      }
      return { servers, results: rows, seedSeconds, timings };
    } finally {
      await svc.stop();
    }
  } finally {
    await t.dispose();
  }
}
