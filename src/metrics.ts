/**
 * Prometheus metrics for GET /metrics. Recording is a no-op until `serve` calls
 * enableMetrics(), which loads prom-client: CLI commands never pay for it, and code that
 * records (ingest, the scheduler, Slack calls) needs no registry passed in.
 *
 * Every label has a small, fixed set of values (an HTTP status, a verdict status, a tool, a
 * Slack method name, a job name). Server and customer names never become labels: with
 * thousands of servers they would multiply every series, and they are not for everyone's eyes.
 */
import type { Counter, Histogram, Registry } from 'prom-client';
import type { StreamParser } from './parsers/types.ts';

interface Instruments {
  registry: Registry;
  uploads: Counter<'status'>;
  verdicts: Counter<'status' | 'tool'>;
  parseSeconds: Histogram<'tool'>;
  requestSeconds: Histogram<'route' | 'method'>;
  slackCalls: Counter<'method'>;
  slackErrors: Counter<'method' | 'error'>;
  jobs: Counter<'job' | 'outcome'>;
  jobsLate: Counter<'job'>;
}

/** What /metrics reads about the database when it is scraped. */
export interface DbGauges {
  kind: 'postgres' | 'pglite';
  /** Connections the pool may open (1 for PGlite). */
  poolMax: number;
  /** 1 while the database answers, 0 while it is down. */
  up(): number;
}

let instruments: Instruments | null = null;
let dbGauges: DbGauges | null = null;
let uploadsInProgress = 0;

/** Loads prom-client and creates the metrics (once per process; later calls reuse them). */
export async function enableMetrics(db?: DbGauges): Promise<void> {
  if (db) dbGauges = db;
  if (instruments) return;
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  instruments = {
    registry,
    uploads: new prom.Counter({ name: 'backupbot_uploads_total', help: 'Upload requests answered, by HTTP status of the answer.', labelNames: ['status'], registers }),
    verdicts: new prom.Counter({ name: 'backupbot_verdicts_total', help: 'Verdicts stored for new uploads, by result status and backup tool.', labelNames: ['status', 'tool'], registers }),
    parseSeconds: new prom.Histogram({ name: 'backupbot_parse_seconds', help: 'CPU time spent parsing one upload.', labelNames: ['tool'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers }),
    requestSeconds: new prom.Histogram({ name: 'backupbot_http_request_seconds', help: 'Time from request to the end of the answer, by route.', labelNames: ['route', 'method'], buckets: seconds, registers }),
    slackCalls: new prom.Counter({ name: 'backupbot_slack_calls_total', help: 'Slack Web API calls made, by method.', labelNames: ['method'], registers }),
    slackErrors: new prom.Counter({ name: 'backupbot_slack_errors_total', help: 'Slack Web API calls that failed, by method and Slack error code (or "network").', labelNames: ['method', 'error'], registers }),
    jobs: new prom.Counter({ name: 'backupbot_jobs_total', help: 'Scheduled job slots run by this process, by job and outcome (posted, failed).', labelNames: ['job', 'outcome'], registers }),
    jobsLate: new prom.Counter({ name: 'backupbot_jobs_late_total', help: 'Scheduled job slots run more than two minutes after their time (catch-up after downtime).', labelNames: ['job'], registers }),
  };
  new prom.Gauge({ name: 'backupbot_db_up', help: 'Whether the database answers (1) or not (0).', registers, collect() { this.set(dbGauges?.up() ?? 0); } });
  new prom.Gauge({ name: 'backupbot_db_pool_max', help: 'Connections the database pool may open (PGlite: 1).', labelNames: ['kind'], registers, collect() { this.reset(); if (dbGauges) this.set({ kind: dbGauges.kind }, dbGauges.poolMax); } });
  new prom.Gauge({ name: 'backupbot_uploads_in_progress', help: 'Uploads being received or stored right now.', registers, collect() { this.set(uploadsInProgress); } });
}

/** The text a scrape gets, with its content type; null while metrics are not enabled. */
export async function metricsText(): Promise<{ contentType: string; body: string } | null> {
  if (!instruments) return null;
  return { contentType: instruments.registry.contentType, body: await instruments.registry.metrics() };
}

export function countUpload(status: number): void {
  instruments?.uploads.inc({ status: String(status) });
}

/** +1 when an authorised upload starts being received, -1 when it has been answered. */
export function trackUpload(delta: 1 | -1): void {
  uploadsInProgress += delta;
}

export function countVerdict(status: string, tool: string): void {
  instruments?.verdicts.inc({ status, tool });
}

export function observeRequest(route: string, method: string, seconds: number): void {
  instruments?.requestSeconds.observe({ route, method }, seconds);
}

export function countJob(job: string, outcome: 'posted' | 'failed' | 'skipped', late: boolean): void {
  if (!instruments || outcome === 'skipped') return;
  instruments.jobs.inc({ job, outcome });
  if (late) instruments.jobsLate.inc({ job });
}

/** Wraps a parser so the time spent in push() and end() is observed once the parse ends. */
export function timedParser(parser: StreamParser): StreamParser {
  if (!instruments) return parser;
  const histogram = instruments.parseSeconds;
  let ns = 0n;
  return {
    push(chunk) {
      const t = process.hrtime.bigint();
      try {
        return parser.push(chunk);
      } finally {
        ns += process.hrtime.bigint() - t;
      }
    },
    end() {
      const t = process.hrtime.bigint();
      const parsed = parser.end();
      ns += process.hrtime.bigint() - t;
      histogram.observe({ tool: parsed.format }, Number(ns) / 1e9);
      return parsed;
    },
  };
}

/**
 * A Slack client that counts its calls. Method groups (`client.chat`) come back wrapped
 * too, so `client.chat.postMessage(...)` counts as "chat.postMessage"; the real client is
 * `this` for every call, so its own private state works as before.
 */
export function countSlackCalls<T extends object>(client: T, prefix = ''): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || prop.startsWith('_') || prop === 'constructor' || prop === 'then') return value;
      const name = prefix + prop;
      if (typeof value === 'function') {
        return (...args: unknown[]) => callCounted(name, () => (value as (...a: unknown[]) => unknown).apply(target, args));
      }
      // Method groups are plain objects of bound functions (chat, views, conversations, ...).
      if (value && typeof value === 'object' && isMethodGroup(value)) return countSlackCalls(value, `${name}.`);
      return value;
    },
  });
}

function isMethodGroup(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).some((v) => typeof v === 'function' || (v && typeof v === 'object'));
}

function callCounted(method: string, call: () => unknown): unknown {
  const result = call();
  // Only calls that return promises are API calls (event-emitter helpers return at once).
  if (!instruments || !(result instanceof Promise)) return result;
  const { slackCalls, slackErrors } = instruments;
  slackCalls.inc({ method });
  return result.catch((err: unknown) => {
    const data = (err as { data?: { error?: unknown } }).data;
    const code = typeof data?.error === 'string' && /^[a-z_]{1,60}$/.test(data.error) ? data.error : 'network';
    slackErrors.inc({ method, error: code });
    throw err;
  });
}
