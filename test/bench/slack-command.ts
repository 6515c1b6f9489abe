/**
 * /backup answer time at fleet scale: 10,000 servers with a year of nightly results
 * (3.65 million rows) in real Postgres, asked through signed requests to /slack/events,
 * as Slack would. Slack gives a slash command 3 seconds.
 */
import { sql } from 'drizzle-orm';
import { buildNightlySummary } from '../../src/reports/summary.ts';
import { nightlyMessages } from '../../src/slack/views/nightly.ts';
import { postgresDb } from '../helpers/db.ts';
import { bulkLoad, fleetSeed } from './bulk.ts';
import { percentile } from './percentile.ts';
import { startTestService } from '../helpers/service.ts';
import { signSlackRequest, slashCommandBody } from '../helpers/slack-sign.ts';
import { startSlackStandIn } from '../helpers/slack-standin.ts';

export interface CommandTiming {
  text: string;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SlackBenchResult {
  servers: number;
  results: number;
  seedSeconds: number;
  /** Filling server_current from the history, as migration 0010 does on an existing database. */
  backfillSeconds: number;
  timings: CommandTiming[];
  /** buildNightlySummary + its Block Kit messages for the whole fleet. */
  nightly: { runs: number; p50Ms: number; maxMs: number; problems: number; messages: number };
}

const SECRET = 'bench-secret';

/** Seeds with generate_series: every 20th server-day failed with code 23 and one file error. */
async function seed(db: Awaited<ReturnType<typeof postgresDb>>['database']['db'], servers: number, days: number): Promise<{ rows: number; backfillSeconds: number }> {
  const { backfillSeconds } = await bulkLoad(db, [
    ...fleetSeed(servers),
    sql`
    insert into results (server_id, parser_version, format, code, status, meaning, completed, file_error_count, backup_at)
    select s.id, 'rsync/1', 'rsync',
           case when (s.id * 7 + d) % 20 = 0 then 23 else 0 end,
           case when (s.id * 7 + d) % 20 = 0 then 'failed' else 'ok' end,
           case when (s.id * 7 + d) % 20 = 0 then 'Partial transfer due to error' else 'Success' end,
           true,
           case when (s.id * 7 + d) % 20 = 0 then 1 else 0 end,
           date_trunc('day', now()) - (d || ' days')::interval + interval '2 hours'
    from servers s, generate_series(0, ${days - 1}) d`,
    sql`
    insert into file_errors (result_id, path, kind, message, line, excepted)
    select id, '/data/share/locked-' || id || '.pst', 'open', 'send_files failed to open: Permission denied (13)', 3, false
    from results where status = 'failed'`,
  ]);
  return { rows: servers * days, backfillSeconds };
}

export async function slackCommandBench(servers: number, days: number, runs: number, log: (m: string) => void): Promise<SlackBenchResult> {
  const t = await postgresDb();
  const slack = await startSlackStandIn();
  try {
    log(`/backup: seeding ${servers.toLocaleString('en')} servers x ${days} days of results into Postgres...`);
    const seedStart = performance.now();
    const { rows, backfillSeconds } = await seed(t.database.db, servers, days);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const svc = await startTestService(t.database, { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url });
    try {
      const timings: CommandTiming[] = [];
      for (const text of ['status', 'status srv04242', 'status Customer 0042', 'status srv4242x', 'failures', 'history srv04242 365']) {
        const ms: number[] = [];
        for (let i = 0; i < runs; i++) {
          const body = slashCommandBody({ text, response_url: slack.responseUrl(`bench-${i}`) });
          const started = performance.now();
          const res = await fetch(`${svc.url}/slack/events`, { method: 'POST', body, headers: signSlackRequest(SECRET, body) });
          const json = (await res.json()) as { blocks?: unknown[] };
          ms.push(performance.now() - started);
          if (res.status !== 200 || !json.blocks?.length) throw new Error(`/backup ${text} answered ${res.status} without blocks`);
        }
        ms.sort((a, b) => a - b);
        timings.push({ text, runs, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: ms[ms.length - 1]! });
      }
      const nightlyMs: number[] = [];
      let problems = 0;
      let messages = 0;
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const summary = await buildNightlySummary(t.database.db, new Date());
        const built = nightlyMessages(summary, 'UTC');
        nightlyMs.push(performance.now() - started);
        problems = summary.problems.length;
        messages = built.length;
        if (summary.servers !== servers) throw new Error(`the nightly summary counted ${summary.servers} servers, not ${servers}`);
      }
      nightlyMs.sort((a, b) => a - b);
      return { servers, results: rows, seedSeconds, backfillSeconds, timings, nightly: { runs: nightlyMs.length, p50Ms: percentile(nightlyMs, 50), maxMs: nightlyMs.at(-1)!, problems, messages } };
    } finally {
      await svc.stop();
    }
  } finally {
    await slack.close();
    await t.dispose();
  }
}
