import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import { createDbGuard, DatabaseUnavailable, describeDbError, isUnavailable, type DbGuard } from '../db/health.ts';
import { AppError, httpStatusFor } from '../errors.ts';
import { findUploader } from '../fleet/servers.ts';
import { ingestReport } from '../reports/ingest.ts';
import { countUpload, countVerdict, metricsText, observeRequest, trackUpload } from '../metrics.ts';
import { limitBodyRate } from './body-rate.ts';
import { bearerToken, uploadMeta } from './upload.ts';
import type { SuspectThresholds } from '../reports/suspicion.ts';

/** Time limits and caps on uploads; every one is a setting (see config.ts). */
export interface UploadLimits {
  maxReportBytes: number;
  /** A body that sends nothing for this long is cut off with 408. */
  stallMs: number;
  /** Slowest accepted average rate, checked once `stallMs` has passed. */
  minBytesPerSecond: number;
  /** Uploads one token may have in progress at once. */
  maxPerToken: number;
  keepAliveMs: number;
  skewMs: number;
  maxAgeMs: number;
  retryWindowMs: number;
  idempotencyWindowMs: number;
}

export const DEFAULT_LIMITS: UploadLimits = {
  maxReportBytes: 512 * 1024 * 1024,
  stallMs: 60_000,
  minBytesPerSecond: 512,
  maxPerToken: 20,
  keepAliveMs: 5000,
  skewMs: 15 * 60_000,
  maxAgeMs: 30 * 86_400_000,
  retryWindowMs: 10 * 60_000,
  idempotencyWindowMs: 24 * 3_600_000,
};

export interface HttpDeps {
  database: Database;
  log: Logger;
  /** Knows whether the database answers; one is made (without a monitor) when not given. */
  guard?: DbGuard;
  limits?: Partial<UploadLimits>;
  /** Suspicion thresholds from the configuration (built-in defaults when absent). */
  suspect?: SuspectThresholds | undefined;
  /** Handles POST /slack/events when Slack is configured. */
  slack?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** Big uploads whose bytes are arriving right now (the clean-up job leaves them alone). */
  receiving?: Set<number>;
  /** The signed-in web pages (src/web/routes.ts); answers false for paths that are not theirs. */
  web?: ((req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>) | undefined;
}

/** How long /healthz and /readyz wait for the database before saying it is down. */
const PROBE_MS = 800;
const RETRY_AFTER_SECONDS = 30;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Answers an error and, when the body may not have been read, drops the connection afterwards. */
function refuse(req: IncomingMessage, res: ServerResponse, err: AppError): void {
  const status = httpStatusFor[err.code];
  const headers: Record<string, string> = {};
  if (status === 503 || status === 429) headers['retry-after'] = String(status === 429 ? 5 : RETRY_AFTER_SECONDS);
  if (!req.complete) {
    // The client may still be sending: tell it to stop (every connection closes gently, see
    // lingerOnClose).
    headers.connection = 'close';
  }
  sendJson(res, status, { error: { code: err.code, message: err.message } }, headers);
}

/**
 * How long a refused client may go quiet, and how long it may keep sending in all, before the
 * connection is cut (nginx's lingering_timeout and lingering_time, with its defaults).
 */
const LINGER_IDLE_MS = 5000;
const LINGER_TOTAL_MS = 30_000;

/**
 * Closing a socket that still has unread incoming bytes makes the kernel send a reset, and
 * a client still busy sending its body may then lose the answer we just wrote (it sees
 * "connection reset" instead of the 413 or 401). Node closes a `Connection: close` answer
 * with socket.destroySoon(); for every connection of this server that becomes: send the answer and FIN,
 * keep reading and discarding while the client keeps sending, and close when it stops (its
 * FIN, or LINGER_IDLE_MS of silence) or after LINGER_TOTAL_MS at most. A slow client on a busy
 * machine then still reads its answer.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    const cut = () => this.destroy();
    let idle = setTimeout(cut, LINGER_IDLE_MS);
    const total = setTimeout(cut, LINGER_TOTAL_MS);
    idle.unref();
    total.unref();
    const stop = () => {
      clearTimeout(idle);
      clearTimeout(total);
    };
    this.once('end', () => {
      stop();
      this.destroy();
    });
    this.once('close', stop);
    this.on('data', () => {
      clearTimeout(idle);
      idle = setTimeout(cut, LINGER_IDLE_MS);
      idle.unref();
    });
    this.resume();
  };
}

function routeName(path: string | undefined): string {
  switch (path) {
    case '/api/v1/reports':
      return 'upload';
    case '/slack/events':
      return 'slack';
    case '/healthz':
    case '/readyz':
    case '/metrics':
      return path.slice(1);
    default:
      return 'web';
  }
}

export function createHttpServer(deps: HttpDeps): Server {
  const { database, log } = deps;
  const limits: UploadLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const guard = deps.guard ?? createDbGuard(database, log, { intervalMs: 1000, pingTimeoutMs: 1000, deadlineMs: 60_000, monitor: false });
  const inProgress = new Map<number, number>();

  async function upload(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const token = bearerToken(req);
    const server = token ? await guard.run(() => findUploader(database.db, token)) : undefined;
    if (!server) {
      throw new AppError('unauthorized', 'Missing or unknown upload token: send "Authorization: Bearer <token>" with the token printed by "backupbot server add" or "server rotate-token".');
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limits.maxReportBytes) {
      throw new AppError('too_large', `The report is ${declared} bytes, more than MAX_REPORT_BYTES (${limits.maxReportBytes}); nothing was stored.`);
    }
    const meta = uploadMeta(req, { now: new Date(), skewMs: limits.skewMs, maxAgeMs: limits.maxAgeMs }, server.defaultFormat);
    const running = inProgress.get(server.id) ?? 0;
    if (running >= limits.maxPerToken) {
      throw new AppError(
        'too_many',
        `This server already has ${running} uploads in progress (UPLOAD_MAX_PER_TOKEN is ${limits.maxPerToken}); retry when one has finished. Nothing was stored.`,
      );
    }
    inProgress.set(server.id, running + 1);
    trackUpload(1);
    try {
      if (expectsContinue) res.writeContinue();
      const body = limitBodyRate(req, { stallMs: limits.stallMs, minBytesPerSecond: limits.minBytesPerSecond });
      const outcome = await ingestReport(database.db, server, body, meta, limits.maxReportBytes, {
        retryWindowMs: limits.retryWindowMs,
        idempotencyWindowMs: limits.idempotencyWindowMs,
        guard: (work) => guard.run(work),
        log,
        onReceiving: (id, done) => (done ? deps.receiving?.delete(id) : deps.receiving?.add(id)),
        suspect: deps.suspect,
      });
      const { verdict } = outcome;
      if (!outcome.duplicate) countVerdict(verdict.status, outcome.format);
      log.info(
        { serverId: server.id, server: server.name, reportId: outcome.reportId, code: verdict.code, status: verdict.status, duplicate: outcome.duplicate },
        'report received',
      );
      sendJson(res, outcome.duplicate ? 200 : 201, {
        reportId: outcome.reportId,
        resultId: outcome.resultId,
        duplicate: outcome.duplicate,
        server: server.name,
        format: outcome.format,
        code: verdict.code,
        status: verdict.status,
        meaning: verdict.meaning,
        hint: verdict.hint,
        reason: verdict.reason,
        suspicion: verdict.suspicion ?? [],
        counts: outcome.counts,
      });
    } finally {
      trackUpload(-1);
      const left = (inProgress.get(server.id) ?? 1) - 1;
      if (left > 0) inProgress.set(server.id, left);
      else inProgress.delete(server.id);
    }
  }

  /** Liveness: answers while the process runs, with what it knows about the database. */
  async function healthz(res: ServerResponse): Promise<void> {
    const probe = await guard.check(PROBE_MS);
    sendJson(res, 200, {
      status: 'ok',
      database: { kind: database.kind, status: probe.up ? 'up' : 'down', ms: probe.ms, ...(probe.error ? { error: probe.error } : {}) },
    });
  }

  /** Readiness: 200 only while the database answers, so a load balancer sends uploads elsewhere. */
  async function readyz(res: ServerResponse): Promise<void> {
    const probe = await guard.check(PROBE_MS);
    if (probe.up) sendJson(res, 200, { status: 'ready', database: { kind: database.kind, status: 'up', ms: probe.ms } });
    else sendJson(res, 503, { status: 'not ready', database: { kind: database.kind, status: 'down', error: probe.error } }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  }

  /** Prometheus text (src/metrics.ts); 404 when the service did not enable metrics. */
  async function metrics(res: ServerResponse): Promise<void> {
    const text = await metricsText();
    if (!text) throw new AppError('not_found', 'Metrics are not enabled in this process.');
    res.writeHead(200, { 'content-type': text.contentType, 'content-length': String(Buffer.byteLength(text.body)) });
    res.end(text.body);
  }

  async function route(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const started = process.hrtime.bigint();
    // The route label is one of a few fixed names, never the path itself (web pages carry
    // server names in theirs).
    const name = routeName(path);
    res.once('finish', () => {
      observeRequest(name, req.method === 'GET' || req.method === 'POST' || req.method === 'HEAD' ? req.method : 'other', Number(process.hrtime.bigint() - started) / 1e9);
      if (name === 'upload') countUpload(res.statusCode);
    });
    try {
      if (path === '/api/v1/reports') {
        if (req.method !== 'POST') throw new AppError('bad_request', 'Use POST to upload a report to /api/v1/reports.');
        return await upload(req, res, expectsContinue);
      }
      if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) return await metrics(res);
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return await healthz(res);
      if (path === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) return await readyz(res);
      if (path === '/slack/events' && req.method === 'POST' && deps.slack) {
        // Slack sends small bodies at once; a request that stalls is not Slack.
        req.setTimeout(limits.stallMs, () => req.destroy());
        if (expectsContinue) res.writeContinue();
        return deps.slack(req, res);
      }
      if (deps.web && (await deps.web(req, res, path ?? '/'))) return;
      throw new AppError('not_found', `No such endpoint: ${req.method} ${path}. Uploads go to POST /api/v1/reports.`);
    } catch (err) {
      answerError(req, res, err, path);
    }
  }

  /** Every request gets exactly one answer, unless the client itself went away. */
  function answerError(req: IncomingMessage, res: ServerResponse, err: unknown, path: string | undefined): void {
    if (res.headersSent || res.writableEnded) {
      log.error({ err, path }, 'request failed after its answer had started');
      res.destroy();
      return;
    }
    const clientGone = res.socket === null || res.socket.destroyed || (!req.complete && ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted'));
    if (clientGone) {
      log.warn({ path }, 'upload connection closed before the body was complete; nothing stored');
      return;
    }
    if (err instanceof AppError) {
      // An outage is logged once by the database monitor; each 503 during it only at debug level.
      if (err instanceof DatabaseUnavailable) log.debug({ path, reason: err.message }, 'database unavailable: answered 503');
      else if (err.code === 'database_busy') log.warn({ path, reason: err.message }, 'database unavailable: answered 503');
      return refuse(req, res, err);
    }
    if (isUnavailable(err)) {
      const cause = describeDbError(err);
      log.warn({ path, cause }, 'database unavailable: answered 503');
      return refuse(req, res, new AppError('database_busy', `The database is not answering (${cause}); nothing was stored. Retry in a minute.`));
    }
    log.error({ err, path }, 'request failed');
    refuse(req, res, new AppError('internal', 'backupbot could not handle this request (the cause is in its log); nothing was stored. Retry later.'));
  }

  const server = createServer((req, res) => void route(req, res));
  // Any answer that closes the connection (a `Connection: close` request, a refusal) may go
  // out before the client has finished sending its body: every connection closes gently.
  server.on('connection', (socket: Socket) => lingerOnClose(socket));
  // Requests Node cannot parse (headers over 16 KiB, bad bytes in a header) are answered here
  // rather than by Node's default, which resets the connection while the client may still be
  // sending, so the client never reads the 400/431.
  const refusedSockets = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (refusedSockets.has(socket)) return;
    refusedSockets.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message =
      status === 431
        ? 'The request headers are larger than 16 KiB; send only the documented headers.'
        : status === 408
          ? 'The request headers did not arrive in time.'
          : 'The request is not valid HTTP (a header holds bytes HTTP does not allow); check the upload script.';
    const body = JSON.stringify({ error: { code: 'bad_request', message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // Gently (lingerOnClose): the client may still be sending.
    socket.destroySoon();
  });
  // curl sends "Expect: 100-continue" for large bodies: check the token and size before
  // the client sends hundreds of megabytes we would refuse.
  server.on('checkContinue', (req, res) => void route(req, res, true));
  // A whole upload may legitimately take long over a slow customer link; what is cut off is
  // a body that stalls or trickles (limitBodyRate), and idle keep-alive connections.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = limits.keepAliveMs;
  return server;
}
