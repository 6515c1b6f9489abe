import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { TransferStats } from '../parsers/types.ts';
import type { SuspicionReason } from '../reports/suspicion-rules.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const customers = pgTable(
  'customers',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('customers_name_key').on(sql`lower(${t.name})`)],
);

export const servers = pgTable(
  'servers',
  {
    id: serial('id').primaryKey(),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    name: text('name').notNull(),
    /** sha256 of the upload token, hex; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    targetHost: text('target_host'),
    scheduleCron: text('schedule_cron').notNull().default('0 22 * * *'),
    timezone: text('timezone').notNull().default('UTC'),
    graceMinutes: integer('grace_minutes').notNull().default(240),
    /** The log format this server's uploads are read as when the upload does not say. */
    defaultFormat: text('default_format').notNull().default('auto'),
    /** Paused by an admin: listed as paused, never missing, never escalated. */
    pausedAt: tstz('paused_at'),
    /** The pause ends by itself at this time (null: until someone resumes it). */
    pausedUntil: tstz('paused_until'),
    pauseReason: text('pause_reason'),
    pausedBy: text('paused_by'),
    /** Decommissioned: history kept and visible, token revoked, no longer expected. */
    removedAt: tstz('removed_at'),
    /** A file the customer's script rewrites before every backup; every good run must copy it (null: none). */
    canaryPath: text('canary_path'),
    /** Per-server overrides of SUSPECT_DROP_PERCENT / SUSPECT_SHORT_PERCENT (null: the default). */
    suspectDropPercent: integer('suspect_drop_percent'),
    suspectShortPercent: integer('suspect_short_percent'),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // Names are unique within a customer (two customers may each have a DC01), among the
    // servers still in service: a removed server's name can be used again.
    uniqueIndex('servers_customer_name_key').on(t.customerId, sql`lower(${t.name})`).where(sql`removed_at is null`),
    // Serves the upload path: every POST looks its server up by token hash.
    uniqueIndex('servers_token_hash_key').on(t.tokenHash),
    index('servers_customer_idx').on(t.customerId),
  ],
);

/** One upload, kept exactly as received. The bytes live in report_chunks. */
export const reports = pgTable(
  'reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    serverId: integer('server_id')
      .notNull()
      .references(() => servers.id),
    /** receiving: bytes still arriving; stored: complete; aborted: the upload broke off. */
    state: text('state').notNull().default('receiving'),
    format: text('format').notNull().default('auto'),
    size: bigint('size', { mode: 'number' }).notNull().default(0),
    sha256: text('sha256'),
    receivedAt: tstz('received_at').notNull().defaultNow(),
    startedAt: tstz('started_at'),
    finishedAt: tstz('finished_at'),
    clientExitCode: integer('client_exit_code'),
    /** The client's Idempotency-Key header, if it sent one. */
    idempotencyKey: text('idempotency_key'),
    /**
     * What makes a later upload a retry of this one: a hash of the Idempotency-Key and the
     * body, or (without a key) of the body and its start/finish headers. Only matched within
     * a short window, so the same bytes on a later night are a new report.
     */
    retryKey: text('retry_key'),
  },
  (t) => [
    // Serves the retry check on upload (server, key, recent).
    index('reports_server_retry_idx').on(t.serverId, t.retryKey, t.receivedAt),
    // Serves history and reparse by server and time.
    index('reports_server_received_idx').on(t.serverId, t.receivedAt),
  ],
);

export const reportChunks = pgTable(
  'report_chunks',
  {
    reportId: bigint('report_id', { mode: 'number' })
      .notNull()
      .references(() => reports.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.reportId, t.seq] })],
);

/** One parse of one report (or a synthetic "missing" verdict with no report). */
export const results = pgTable(
  'results',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    reportId: bigint('report_id', { mode: 'number' }).references(() => reports.id, { onDelete: 'cascade' }),
    serverId: integer('server_id')
      .notNull()
      .references(() => servers.id),
    parserVersion: text('parser_version').notNull(),
    format: text('format').notNull(),
    code: integer('code').notNull(),
    status: text('status').notNull(),
    meaning: text('meaning').notNull(),
    reason: text('reason'),
    /** Advice for this log when it differs from the code table's (empty log, no -v, killed run); null: use the table. */
    hint: text('hint'),
    completed: boolean('completed').notNull(),
    okByExceptions: boolean('ok_by_exceptions').notNull().default(false),
    fileErrorCount: integer('file_error_count').notNull().default(0),
    exceptedCount: integer('excepted_count').notNull().default(0),
    vanishedCount: integer('vanished_count').notNull().default(0),
    messages: jsonb('messages').$type<string[]>().notNull().default([]),
    stats: jsonb('stats').$type<TransferStats>().notNull().default({}),
    /** Why a finished run is `suspect` (dry run, drop, short, canary); empty otherwise. Built from numbers and sanitised paths only. */
    suspicion: jsonb('suspicion').$type<SuspicionReason[]>().notNull().default([]),
    /** When the backup ran: the report's finish time if given, else its arrival. */
    backupAt: tstz('backup_at').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // Serves "latest result per server" (status, summaries) and per-server history. Plain
    // ascending on purpose: drizzle's .desc() means DESC NULLS LAST, which does not match
    // ORDER BY backup_at DESC (NULLS FIRST), and the planner then sorts every row of the
    // server instead of reading one. A backward scan of this index matches exactly.
    index('results_server_latest_idx').on(t.serverId, t.backupAt, t.id),
    index('results_report_idx').on(t.reportId),
    // Serves "last success" look-ups (summary, digest) without walking failed rows.
    index('results_server_ok_idx').on(t.serverId, t.backupAt).where(sql`status = 'ok'`),
    // Serves the suspicion baseline: the last N good runs of a server before a time, read
    // backwards with their numbers and without touching the heap for anything else.
    index('results_server_good_idx').on(t.serverId, t.backupAt, t.id).where(sql`status = 'ok' and report_id is not null`),
    // One synthetic "missing" result per server and expected slot, however often the check runs.
    uniqueIndex('results_missing_slot_key').on(t.serverId, t.backupAt).where(sql`report_id is null`),
  ],
);

export const fileErrors = pgTable(
  'file_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    resultId: bigint('result_id', { mode: 'number' })
      .notNull()
      .references(() => results.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    line: integer('line').notNull(),
    excepted: boolean('excepted').notNull(),
  },
  (t) => [index('file_errors_result_idx').on(t.resultId)],
);

export const exceptions = pgTable(
  'exceptions',
  {
    id: serial('id').primaryKey(),
    pattern: text('pattern').notNull(),
    /** global | customer | server */
    scope: text('scope').notNull(),
    customerId: integer('customer_id').references(() => customers.id),
    serverId: integer('server_id').references(() => servers.id),
    reason: text('reason').notNull(),
    /** pending | active | rejected | removed */
    state: text('state').notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    approvedBy: text('approved_by'),
    approvedAt: tstz('approved_at'),
    expiresAt: tstz('expires_at'),
    /** The server whose failure prompted the request (its results are reparsed on approval). */
    sourceServerId: integer('source_server_id').references(() => servers.id),
    /** Where the approval request was posted, so it can be updated in place. */
    requestChannel: text('request_channel'),
    requestTs: text('request_ts'),
  },
  (t) => [
    // Serves the per-upload lookup of exceptions that apply to a server.
    index('exceptions_active_idx').on(t.state, t.scope, t.customerId, t.serverId),
  ],
);

/**
 * Job ledger: one row per scheduled run (job, slot). Claiming a row is what makes a post
 * happen exactly once across restarts and replicas; the built messages and how many of them
 * were posted are kept so a run cut off half-way resumes where it stopped.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    job: text('job').notNull(),
    scheduledAt: tstz('scheduled_at').notNull(),
    /** running | done | failed */
    state: text('state').notNull(),
    owner: text('owner').notNull(),
    heartbeatAt: tstz('heartbeat_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(1),
    payload: jsonb('payload'),
    progress: jsonb('progress').$type<{ posted: number; threadTs?: string; picture?: boolean }>().notNull().default({ posted: 0 }),
    error: text('error'),
    finishedAt: tstz('finished_at'),
  },
  (t) => [primaryKey({ columns: [t.job, t.scheduledAt] })],
);

/**
 * Someone took ownership of a server's failure. It holds while the server keeps failing the
 * same way: a result with another status or code after `resultId` ends it.
 */
export const acknowledgements = pgTable(
  'acknowledgements',
  {
    id: serial('id').primaryKey(),
    serverId: integer('server_id')
      .notNull()
      .references(() => servers.id),
    resultId: bigint('result_id', { mode: 'number' })
      .notNull()
      .references(() => results.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    code: integer('code').notNull(),
    userId: text('user_id').notNull(),
    note: text('note'),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // A double click acknowledges once.
    uniqueIndex('acknowledgements_result_key').on(t.resultId),
    index('acknowledgements_server_idx').on(t.serverId, t.createdAt),
  ],
);

/**
 * "Accept as the new normal": from `startsAt` on, a server's baseline (the good runs that the
 * drop and short rules compare with) starts again. Rows, not a column, so a reparse of an
 * older report judges it against the baseline in force at its own time.
 */
export const baselines = pgTable(
  'baselines',
  {
    id: serial('id').primaryKey(),
    serverId: integer('server_id')
      .notNull()
      .references(() => servers.id),
    /** The accepted run's backup time: the first run of the new baseline. */
    startsAt: tstz('starts_at').notNull(),
    resultId: bigint('result_id', { mode: 'number' }).references(() => results.id, { onDelete: 'set null' }),
    reason: text('reason').notNull(),
    actor: text('actor').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  // One restart per server and run: a double click or a second replica accepts once.
  (t) => [uniqueIndex('baselines_server_start_key').on(t.serverId, t.startsAt)],
);

/** Every action someone took, with who and when. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: tstz('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    serverId: integer('server_id').references(() => servers.id),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_log_server_idx').on(t.serverId, t.at), index('audit_log_at_idx').on(t.at)],
);

/** The numbers behind a summary's headline: counts by state, and each listed server's state. */
export interface PostedMeta {
  kind: 'nightly';
  servers: number;
  counts: Record<string, number>;
  /** State of every server the summary listed (servers not listed were ok). */
  states: Record<string, string>;
}

/** Bot messages that show servers, kept so they can be updated in place (acks, approvals). */
export const postedMessages = pgTable(
  'posted_messages',
  {
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    blocks: jsonb('blocks').notNull(),
    text: text('text').notNull(),
    serverIds: jsonb('server_ids').$type<number[]>().notNull().default([]),
    /** The thread this message was posted in (parts 2.. of a long summary), if any. */
    threadTs: text('thread_ts'),
    /** What the headline was computed from, so it can be recomputed when a server changes. */
    meta: jsonb('meta').$type<PostedMeta>(),
    postedAt: tstz('posted_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.ts] }), index('posted_messages_at_idx').on(t.postedAt)],
);

/**
 * A problem on the backup side that TSR3 was pinged about. One open incident per key
 * ("target:custbak1", "server:42"): the unique index is what stops a second ping.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: serial('id').primaryKey(),
    key: text('key').notNull(),
    title: text('title').notNull(),
    serverIds: jsonb('server_ids').$type<number[]>().notNull().default([]),
    openedAt: tstz('opened_at').notNull().defaultNow(),
    closedAt: tstz('closed_at'),
    channel: text('channel'),
    ts: text('ts'),
  },
  (t) => [uniqueIndex('incidents_open_key').on(t.key).where(sql`closed_at is null`)],
);

/**
 * Settings the service makes up for itself once and shares between replicas, such as the
 * key that signs web links when WEB_SECRET is not set. Inserted with ON CONFLICT DO NOTHING,
 * so the first replica to start decides and the others read its value.
 */
export const appSettings = pgTable('app_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
});

/**
 * Each server's standing, one row per server that has any result: its latest result, its last
 * success, since when it has been failing, and the acknowledgement in force. Kept by triggers
 * on `results` and `acknowledgements` (migration 0010), so it changes in the same transaction
 * as the row that changes it, whichever code path inserts that row (upload, reparse, missed
 * slot, acknowledgement, an approved exception's reparse). The fleet views read this table:
 * O(servers) rows instead of a probe into a year of results per server. `backupbot doctor`
 * recomputes it from the history and reports any difference.
 */
export const serverCurrent = pgTable('server_current', {
  serverId: integer('server_id')
    .primaryKey()
    .references(() => servers.id),
  /** The newest result by (backup_at, id). */
  // No foreign keys on the two ids: the triggers keep them true (a deleted result or
  // acknowledgement makes them recompute the row), and a key would cost a look-up per write.
  latestResultId: bigint('latest_result_id', { mode: 'number' }),
  latestBackupAt: tstz('latest_backup_at'),
  /** The newest backup_at of any ok result, ever. */
  lastSuccessAt: tstz('last_success_at'),
  /** The oldest backup_at of the results after the last success (null: the newest result is the last success). */
  failingSince: tstz('failing_since'),
  /** How many results came after the last success. */
  failingResults: integer('failing_results').notNull().default(0),
  /** The acknowledgement in force (the newest one no later result contradicts), or null. */
  ackId: integer('ack_id'),
  /** That acknowledgement's status and code, so a new result is checked against it without a look-up. */
  ackStatus: text('ack_status'),
  ackCode: integer('ack_code'),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});
