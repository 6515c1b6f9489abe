import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import { AppError, httpStatusFor } from '../errors.ts';
import { findUploader } from '../fleet/servers.ts';
import { ingestReport } from '../reports/ingest.ts';
import { bearerToken, uploadMeta } from './upload.ts';

export interface HttpDeps {
  database: Database;
  log: Logger;
  maxReportBytes: number;
  /** Handles POST /slack/events when Slack is configured. */
  slack?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers an error before (or instead of) reading the body, and drops the connection. */
function refuse(req: IncomingMessage, res: ServerResponse, err: AppError): void {
  res.setHeader('connection', 'close');
  sendJson(res, httpStatusFor[err.code], { error: { code: err.code, message: err.message } });
  res.on('finish', () => req.destroy());
}

export function createHttpServer(deps: HttpDeps): Server {
  const { database, log } = deps;

  async function upload(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    const token = bearerToken(req);
    const server = token ? await findUploader(database.db, token) : undefined;
    if (!server) {
      throw new AppError('unauthorized', 'Missing or unknown upload token: send "Authorization: Bearer <token>" with the token printed by "backupbot server add" or "server rotate-token".');
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > deps.maxReportBytes) {
      throw new AppError('too_large', `The report is ${declared} bytes, more than MAX_REPORT_BYTES (${deps.maxReportBytes}); nothing was stored.`);
    }
    const meta = uploadMeta(req);
    if (expectsContinue) res.writeContinue();
    const outcome = await ingestReport(database.db, server, req, meta, deps.maxReportBytes);
    const { verdict } = outcome;
    log.info(
      { serverId: server.id, server: server.name, reportId: outcome.reportId, code: verdict.code, status: verdict.status, duplicate: outcome.duplicate },
      'report received',
    );
    sendJson(res, outcome.duplicate ? 200 : 201, {
      reportId: outcome.reportId,
      resultId: outcome.resultId,
      duplicate: outcome.duplicate,
      server: server.name,
      code: verdict.code,
      status: verdict.status,
      meaning: verdict.meaning,
      hint: verdict.hint,
      reason: verdict.reason,
      counts: outcome.counts,
    });
  }

  async function healthz(res: ServerResponse): Promise<void> {
    try {
      await database.ping();
      sendJson(res, 200, { status: 'ok', database: { kind: database.kind, status: 'up' } });
    } catch (err) {
      sendJson(res, 503, { status: 'error', database: { kind: database.kind, status: 'down', error: (err as Error).message } });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/api/v1/reports') {
        if (req.method !== 'POST') throw new AppError('bad_request', 'Use POST to upload a report to /api/v1/reports.');
        return await upload(req, res, expectsContinue);
      }
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return await healthz(res);
      if (path === '/slack/events' && req.method === 'POST' && deps.slack) {
        if (expectsContinue) res.writeContinue();
        return deps.slack(req, res);
      }
      throw new AppError('not_found', `No such endpoint: ${req.method} ${path}. Uploads go to POST /api/v1/reports.`);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof AppError) return refuse(req, res, err);
      if (req.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted') {
        log.warn({ path }, 'upload connection closed before the body was complete; nothing stored');
        return;
      }
      log.error({ err, path }, 'request failed');
      refuse(req, res, new AppError('database_busy', 'The server could not store the report right now; nothing was stored. Retry later.'));
    }
  }

  const server = createServer((req, res) => void route(req, res));
  // curl sends "Expect: 100-continue" for large bodies: check the token and size before
  // the client sends hundreds of megabytes we would refuse.
  server.on('checkContinue', (req, res) => void route(req, res, true));
  // Large reports over slow customer links take a while.
  server.requestTimeout = 60 * 60 * 1000;
  return server;
}
