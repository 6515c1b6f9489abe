import { and, count, eq, lt, sql, sum } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from '../db/rows.ts';
import { postedMessages, reports } from '../db/schema.ts';

/**
 * Retention (RETENTION_DAYS): the raw bytes of old reports and the bookkeeping of old Slack
 * messages go; every verdict (results, file_errors) stays, so history since the first upload
 * survives. A pruned report keeps its row, size and hash with state "pruned", so pages say
 * the log was deleted instead of offering a download that fails.
 */
export interface PruneCounts {
  /** Reports whose raw bytes are (or would be) deleted. */
  reports: number;
  /** Their size as uploaded, in bytes. */
  bytes: number;
  /** posted_messages rows (what lets old Slack messages be updated in place). */
  messages: number;
}

export interface PruneOptions {
  /** Rows per transaction: small enough that no statement holds locks for long. */
  batch?: number;
  /** Breathing room between batches, so uploads arriving meanwhile are not slowed. */
  pauseMs?: number;
}

/** The moment before which data is pruned: `days` before `now`. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/** What prune would delete, without deleting anything. */
export async function pruneCandidates(db: Db, cutoff: Date): Promise<PruneCounts> {
  const [r] = await db
    .select({ n: count(), bytes: sum(reports.size) })
    .from(reports)
    .where(and(eq(reports.state, 'stored'), lt(reports.receivedAt, cutoff)));
  const [m] = await db.select({ n: count() }).from(postedMessages).where(lt(postedMessages.postedAt, cutoff));
  return { reports: r?.n ?? 0, bytes: Number(r?.bytes ?? 0), messages: m?.n ?? 0 };
}

/**
 * Deletes raw bytes of reports received before `cutoff` and posted-message rows posted before
 * it, in batches of their own short transactions. Safe to run twice and on several replicas
 * at once: a pruned report is no longer "stored", and rows another pruner holds are skipped.
 */
export async function pruneOld(db: Db, cutoff: Date, opts: PruneOptions = {}): Promise<PruneCounts> {
  const batch = opts.batch ?? 500;
  const pauseMs = opts.pauseMs ?? 50;
  const done: PruneCounts = { reports: 0, bytes: 0, messages: 0 };
  for (;;) {
    // One statement per batch: pick old stored reports (skipping any another transaction
    // holds), delete their chunks and mark them pruned, all or nothing.
    const rows = rowsOf<{ n: number | string; bytes: number | string | null }>(
      await db.execute(sql`
        with picked as (
          select id from reports
          where state = 'stored' and received_at < ${cutoff.toISOString()}::timestamptz
          order by id
          limit ${batch}
          for update skip locked
        ), chunks as (
          delete from report_chunks c using picked p where c.report_id = p.id returning 1
        ), marked as (
          update reports r set state = 'pruned' from picked p where r.id = p.id returning r.size
        )
        select (select count(*) from marked) as n, (select sum(size) from marked) as bytes, (select count(*) from chunks) as chunks`),
    );
    const n = Number(rows[0]?.n ?? 0);
    done.reports += n;
    done.bytes += Number(rows[0]?.bytes ?? 0);
    if (n < batch) break;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  for (;;) {
    const rows = rowsOf<{ n: number | string }>(
      await db.execute(sql`
        with picked as (
          select channel, ts from posted_messages
          where posted_at < ${cutoff.toISOString()}::timestamptz
          limit ${batch}
          for update skip locked
        ), gone as (
          delete from posted_messages m using picked p where m.channel = p.channel and m.ts = p.ts returning 1
        )
        select count(*) as n from gone`),
    );
    const n = Number(rows[0]?.n ?? 0);
    done.messages += n;
    if (n < batch) break;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return done;
}
