import type { WebClient } from '@slack/web-api';
import { and, desc, eq, gte, inArray, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import { acknowledge } from '../acks/acknowledge.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { customers, exceptions, fileErrors, reports, results, servers } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { decideException, proposeException, recordRequestMessage, removeException, serversInScope, suggestPattern, type Decision, type Scope } from '../exceptions/workflow.ts';
import type { ExceptionRow } from '../exceptions/store.ts';
import { findServer, type ServerWithCustomer } from '../fleet/servers.ts';
import { readRaw } from '../reports/raw.ts';
import { countReports, describeChanges, reparseReports } from '../reports/reparse.ts';
import { fileErrorsFor } from '../reports/results.ts';
import { resultHistory, resultsByDay } from '../reports/status.ts';
import { ackInfo, fleetWithDetail, PROBLEM_STATES, problemRows, serverStatus } from '../reports/summary.ts';
import { noMatchAdvice, previewException } from '../exceptions/preview.ts';
import { isExceptable } from '../parsers/types.ts';
import { homeView } from './views/home.ts';
import { audit } from '../audit.ts';
import { parseServerRef, type Origin, type ServerRef, STALE_BUTTON } from './action-ids.ts';
import { refreshServerEverywhere } from './messages.ts';
import type { ApproverCheck } from './permissions.ts';
import { code, esc } from './views/blocks.ts';
import { acceptModal, ackModal, approvalMessage, asView, detailsModal, exceptionModal, type DetailsData } from './views/modals.ts';
import { suspicionLines } from './views/baseline.ts';
import { suspectThresholdsOf } from '../config.ts';
import { baselineView, rebaseline } from '../reports/baseline.ts';
import type { SuspectThresholds } from '../reports/suspicion.ts';
import { ackLine, mention } from './views/server-block.ts';

/** What the interactive workflows need: the database, Slack, settings and the approver check. */
export interface WorkflowDeps {
  db: Db;
  client: WebClient;
  config: Config;
  log: Logger;
  approvers: ApproverCheck;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const REPARSE_WINDOW_DAYS = 7;
/** How often a long reparse after an approval updates the request message. */
const PROGRESS_EVERY_MS = 5000;
const STRIP_DAYS = 14;
const MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024;

interface Metadata {
  ref: ServerRef;
  origin: Origin;
}

export const encodeMetadata = (m: Metadata) => JSON.stringify(m);
export function decodeMetadata(text: string): Metadata | null {
  try {
    const m = JSON.parse(text) as { ref?: { action?: string; serverId?: number; resultId?: number }; origin?: Origin };
    const ref = m.ref && parseServerRef(`v1:${m.ref.action}:${m.ref.serverId}:${m.ref.resultId}`);
    return ref ? { ref, origin: m.origin ?? {} } : null;
  } catch {
    return null;
  }
}

/** Tells one person something privately, where they were. */
export async function tell(deps: WorkflowDeps, userId: string, origin: Origin, text: string): Promise<void> {
  if (origin.responseUrl) {
    const res = await fetch(origin.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    }).catch(() => null);
    if (res?.ok) return;
  }
  if (origin.channel) {
    await deps.client.chat.postEphemeral({ channel: origin.channel, user: userId, text });
    return;
  }
  await deps.client.chat.postMessage({ channel: userId, text });
}

async function loadRef(db: Db, ref: ServerRef): Promise<{ server: ServerWithCustomer; result: typeof results.$inferSelect | null }> {
  const [row] = await db
    .select({ name: servers.name })
    .from(servers)
    .where(eq(servers.id, ref.serverId));
  const server = row && (await findServer(db, row.name));
  if (!server) throw new AppError('not_found', STALE_BUTTON);
  if (!ref.resultId) return { server, result: null };
  const [result] = await db.select().from(results).where(and(eq(results.id, ref.resultId), eq(results.serverId, ref.serverId)));
  if (!result) throw new AppError('not_found', STALE_BUTTON);
  return { server, result };
}

/** A menu item or button on a server was chosen: open the matching modal, or reparse. */
export async function startServerAction(deps: WorkflowDeps, args: { ref: ServerRef; userId: string; triggerId: string; origin: Origin }): Promise<void> {
  const { server, result } = await loadRef(deps.db, args.ref);
  const metadata = encodeMetadata({ ref: args.ref, origin: args.origin });
  switch (args.ref.action) {
    case 'ack': {
      if (!result) throw new AppError('not_found', STALE_BUTTON);
      await deps.client.views.open({ trigger_id: args.triggerId, view: asView(ackModal(server.name, result.code, metadata, result.format)) });
      return;
    }
    case 'exception': {
      if (!result) throw new AppError('not_found', STALE_BUTTON);
      const open = (await fileErrorsFor(deps.db, result.id)).filter((e) => !e.excepted);
      if (open.length === 0) throw new AppError('conflict', `${server.name}'s result has no file errors left to except.`);
      const errs = open.filter((e) => isExceptable(e.kind));
      if (errs.length === 0) {
        const root = open[0]!;
        throw new AppError(
          'conflict',
          `${server.name} failed because the backup source "${root.path}" ${root.kind === 'missing' ? 'does not exist' : 'could not be entered'}. ` +
            'An exception cannot cover that (nothing under it was backed up): fix the source path or its permissions in the backup script on the customer server.',
        );
      }
      const paths = errs.map((e) => e.path);
      await deps.client.views.open({ trigger_id: args.triggerId, view: asView(exceptionModal(server.name, paths, suggestPattern(paths), metadata)) });
      return;
    }
    case 'details': {
      const data = await detailsFor(deps.db, server, new Date(), deps.config.TZ, suspectThresholdsOf(deps.config));
      await deps.client.views.open({ trigger_id: args.triggerId, view: asView(detailsModal(data, new Date(), deps.config.TZ, JSON.stringify({ origin: args.origin }))) });
      return;
    }
    case 'accept': {
      if (!result || !result.reportId) throw new AppError('not_found', STALE_BUTTON);
      if (!(await deps.approvers.isApprover(args.userId))) {
        await tell(deps, args.userId, args.origin, 'Only the approvers in SLACK_APPROVER_GROUP can accept a run as the new normal (it silences a suspect verdict). Ask one of them, or run `backupbot server rebaseline`.');
        return;
      }
      if (result.status !== 'suspect') throw new AppError('conflict', `That run of ${server.name} is ${result.status}, not suspect: there is nothing to accept.`);
      await deps.client.views.open({ trigger_id: args.triggerId, view: asView(acceptModal(server.name, suspicionLines(result.suspicion), metadata)) });
      return;
    }
    case 'reparse': {
      const summary = await reparseServers(deps, args.userId, [server.id], new Date(Date.now() - REPARSE_WINDOW_DAYS * DAY_MS));
      await tell(deps, args.userId, args.origin, `:arrows_counterclockwise: Reparsed ${code(server.name)}: ${summary}`);
      return;
    }
  }
}

/**
 * Reparses recent reports of the given servers and re-renders the messages that showed them.
 * `because.text` is Slack text, already escaped by the caller.
 */
async function reparseServers(
  deps: WorkflowDeps,
  actor: string,
  serverIds: number[],
  since: Date,
  because?: { text: string; audit: string },
  onProgress?: (done: number, changed: number) => Promise<void>,
): Promise<string> {
  const report = await reparseReports(deps.db, { serverIds, since, suspect: suspectThresholdsOf(deps.config) }, onProgress);
  const summary = describeChanges(report);
  await audit(deps.db, actor, 'reparse', serverIds.length === 1 ? serverIds[0]! : null, { servers: serverIds.length, reports: report.total, changed: report.changed.length, because: because?.audit });
  for (const serverId of new Set(report.changed.map((c) => c.serverId))) {
    const note = `changed after reparse${because ? ` · ${because.text}` : ''}`;
    await refreshServerEverywhere(deps.db, deps.client, serverId, note).catch((err: unknown) => deps.log.warn({ err, serverId }, 'could not update a message'));
  }
  return summary;
}

export async function submitAck(deps: WorkflowDeps, args: { userId: string; metadata: string; note: string | null }): Promise<void> {
  const meta = decodeMetadata(args.metadata);
  if (!meta) throw new AppError('not_found', STALE_BUTTON);
  const { ack, created } = await acknowledge(deps.db, { serverId: meta.ref.serverId, resultId: meta.ref.resultId, userId: args.userId, note: args.note });
  if (!created) {
    await tell(deps, args.userId, meta.origin, `Already acknowledged by ${mention(ack.userId)}.`);
    return;
  }
  await refreshServerEverywhere(deps.db, deps.client, meta.ref.serverId).catch((err: unknown) => deps.log.warn({ err }, 'could not update a message'));
  if (!meta.origin.ts) await tell(deps, args.userId, meta.origin, `${ackLine(ackInfo(ack)!)} — repeat alerts stop until the status changes.`);
}

/** "Accept as new normal" was submitted: restart the baseline from that run, audited, and update the messages. */
export async function submitAccept(deps: WorkflowDeps, args: { userId: string; metadata: string; reason: string }): Promise<void> {
  const meta = decodeMetadata(args.metadata);
  if (!meta) throw new AppError('not_found', STALE_BUTTON);
  // Checked again: the modal may have stayed open while the person left the approver group.
  if (!(await deps.approvers.isApprover(args.userId))) {
    await tell(deps, args.userId, meta.origin, 'Only the approvers in SLACK_APPROVER_GROUP can accept a run as the new normal.');
    return;
  }
  const { server, result } = await loadRef(deps.db, meta.ref);
  if (!result) throw new AppError('not_found', STALE_BUTTON);
  const done = await rebaseline(deps.db, server, { reason: args.reason, actor: args.userId, resultId: result.id, suspect: suspectThresholdsOf(deps.config) });
  await audit(deps.db, args.userId, 'server.rebaseline', server.id, { reason: args.reason.trim(), resultId: done.resultId, reportId: done.reportId, startsAt: done.startsAt });
  await refreshServerEverywhere(deps.db, deps.client, server.id, `accepted as the new normal by ${mention(args.userId)}`).catch((err: unknown) =>
    deps.log.warn({ err, serverId: server.id }, 'could not update a message'),
  );
  const accepted = done.rejudged.find((o) => o.reportId === done.reportId);
  const still = accepted?.verdict.suspicion ?? [];
  await tell(
    deps,
    args.userId,
    meta.origin,
    `:white_check_mark: ${code(server.name)}: the run of ${done.startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC is the first of a new baseline (${esc(args.reason.trim())}); it is *${accepted?.verdict.status ?? 'unchanged'}* now.` +
      (still.length ? `\nStill suspect: ${still.map((s) => esc(s.message)).join('; ')}` : ''),
  );
}

export interface ExceptionForm {
  pattern: string;
  scope: string;
  reason: string;
  expires: string | null;
}

/** Validation errors by input block, for Slack to show next to the fields. */
export type FormErrors = Record<string, string>;

/**
 * A pattern proposed from a failing server has to cover at least one of the failing files it
 * was written for; checked before the modal closes, so the person can fix it on the spot.
 */
export async function exceptionMatchErrors(db: Db, metadata: string, pattern: string): Promise<FormErrors | null> {
  const meta = decodeMetadata(metadata);
  if (!meta || pattern.trim() === '') return null;
  const preview = await previewException(db, [meta.ref.serverId], pattern.trim());
  return preview.considered > 0 && preview.matched.length === 0 ? { pattern: noMatchAdvice(pattern.trim(), preview) } : null;
}

export async function submitException(deps: WorkflowDeps, args: { userId: string; metadata: string; form: ExceptionForm }): Promise<FormErrors | null> {
  const meta = decodeMetadata(args.metadata);
  if (!meta) throw new AppError('not_found', STALE_BUTTON);
  const { server, result } = await loadRef(deps.db, meta.ref);
  const scope = (['server', 'customer', 'global'] as const).find((s) => s === args.form.scope) ?? 'server';
  const expiresAt = args.form.expires ? new Date(`${args.form.expires}T23:59:59Z`) : null;
  let row: ExceptionRow;
  try {
    row = await proposeException(deps.db, {
      pattern: args.form.pattern,
      scope: scope as Scope,
      serverId: server.id,
      customerId: server.customerId,
      reason: args.form.reason,
      expiresAt,
      actor: args.userId,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'usage') {
      const field = /expir/i.test(err.message) ? 'expires' : /reason/i.test(err.message) ? 'reason' : 'pattern';
      return { [field]: err.message };
    }
    throw err;
  }
  const paths = result ? (await fileErrorsFor(deps.db, result.id)).filter((e) => !e.excepted).map((e) => e.path) : [];
  const channel = deps.config.SLACK_APPROVALS_CHANNEL;
  if (channel) {
    const msg = approvalMessage({ exception: row, scopeLabel: await scopeLabel(deps.db, row), paths, tz: deps.config.TZ });
    const res = await deps.client.chat.postMessage({ channel, ...msg });
    if (res.ts) await recordRequestMessage(deps.db, row.id, channel, res.ts);
    await tell(deps, args.userId, meta.origin, `Asked for approval of ${code(row.pattern)} in <#${channel}>. You will hear back here when it is decided.`);
  } else {
    await tell(deps, args.userId, meta.origin, `Saved ${code(row.pattern)} as pending, but SLACK_APPROVALS_CHANNEL is not set, so nobody was asked: tell your admin.`);
  }
  return null;
}

async function scopeLabel(db: Db, e: ExceptionRow): Promise<string> {
  if (e.scope === 'global') return '*every server*';
  if (e.scope === 'customer') {
    const [c] = await db.select({ name: customers.name }).from(customers).where(eq(customers.id, e.customerId ?? -1));
    return `all servers of *${c?.name ?? '?'}*`;
  }
  const [s] = await db.select({ name: servers.name }).from(servers).where(eq(servers.id, e.serverId ?? -1));
  return `server ${code(s?.name ?? '?')}`;
}

/** Approve or reject, by an approver only; approval reparses what it affects. */
export async function decide(deps: WorkflowDeps, args: { userId: string; exceptionId: number; decision: Decision; origin: Origin }): Promise<void> {
  if (!(await deps.approvers.isApprover(args.userId))) {
    await tell(deps, args.userId, args.origin, deps.approvers.refusal);
    return;
  }
  const { row, won } = await decideException(deps.db, args.exceptionId, args.userId, args.decision);
  if (!won) {
    await tell(deps, args.userId, args.origin, `Already ${row.state === 'active' ? 'approved' : row.state} by ${mention(row.approvedBy ?? '?')}.`);
    return;
  }
  // The request shows the decision at once; an approval's reparse (thousands of reports for
  // a global exception) then reports its progress and its result on the same message.
  const showDecision = async (summary?: string) => {
    if (!row.requestChannel || !row.requestTs) return;
    const msg = approvalMessage({
      exception: row,
      scopeLabel: await scopeLabel(deps.db, row),
      paths: [],
      tz: deps.config.TZ,
      decided: { by: args.userId, approved: args.decision === 'approve', ...(summary ? { summary } : {}) },
    });
    await deps.client.chat.update({ channel: row.requestChannel, ts: row.requestTs, ...msg });
  };
  let summary: string | undefined;
  if (args.decision === 'approve') {
    const since = new Date(Date.now() - REPARSE_WINDOW_DAYS * DAY_MS);
    const candidates = await serversWithFileErrors(deps.db, await serversInScope(deps.db, row), since);
    const total = await countReports(deps.db, { serverIds: candidates, since });
    await showDecision(total ? `Reparsing ${total} recent report${total === 1 ? '' : 's'} it may change…` : undefined);
    let shownAt = Date.now();
    const because = { text: `exception ${code(row.pattern)} approved by ${mention(args.userId)}`, audit: `exception ${row.pattern} approved` };
    summary = await reparseServers(deps, args.userId, candidates, since, because, async (done, changed) => {
      if (Date.now() - shownAt < PROGRESS_EVERY_MS || done >= total) return;
      shownAt = Date.now();
      await showDecision(`Reparsing: ${done} of ${total} reports done, ${changed} changed so far…`).catch((err: unknown) => deps.log.warn({ err }, 'could not show reparse progress'));
    });
    await showDecision(summary);
  } else {
    await showDecision();
  }
  const verdict = args.decision === 'approve' ? `approved by ${mention(args.userId)}. ${summary ?? ''}` : `rejected by ${mention(args.userId)}.`;
  await deps.client.chat.postMessage({ channel: row.createdBy, text: `Your exception ${code(row.pattern)} was ${verdict}` });
}

/** Servers among `ids` with a failing result that has file errors in the window: the only ones an exception can change. */
async function serversWithFileErrors(db: Db, ids: number[], since: Date): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectDistinct({ serverId: results.serverId })
    .from(results)
    .innerJoin(fileErrors, eq(fileErrors.resultId, results.id))
    .where(and(inArray(results.serverId, ids), ne(results.status, 'ok'), eq(fileErrors.excepted, false), gte(results.backupAt, since)));
  return rows.map((r) => r.serverId);
}

export async function removeByButton(deps: WorkflowDeps, args: { userId: string; exceptionId: number; origin: Origin }): Promise<void> {
  if (!(await deps.approvers.isApprover(args.userId))) {
    await tell(deps, args.userId, args.origin, deps.approvers.refusal);
    return;
  }
  const row = await removeException(deps.db, args.exceptionId, args.userId);
  await tell(deps, args.userId, args.origin, `Removed the exception ${code(row.pattern)}. It no longer applies to new reports; reparse a server to apply that to old ones.`);
}

/** Everything the details modal shows about one server. */
export async function detailsFor(db: Db, server: ServerWithCustomer, now: Date, tz: string, suspect?: SuspectThresholds): Promise<DetailsData> {
  const { latest, lastSuccessAt, fileErrors: errs, row } = await serverStatus(db, server, 25, now);
  const history = await resultHistory(db, server.id, new Date(now.getTime() - STRIP_DAYS * DAY_MS));
  // The day's last result stands for the day.
  const strip = resultsByDay(history, now, STRIP_DAYS, tz).map(({ day, results: rs }) => ({ day, status: rs.at(-1)?.status ?? null, code: rs.at(-1)?.code ?? null }));
  return {
    server: server.name,
    customer: server.customerName,
    targetHost: server.targetHost,
    schedule: server.scheduleCron,
    timezone: server.timezone,
    graceMinutes: server.graceMinutes,
    status: row.status,
    code: latest?.code ?? null,
    format: latest?.format ?? null,
    meaning: latest?.meaning ?? null,
    backupAt: latest?.backupAt ?? null,
    lastSuccessAt,
    strip,
    fileErrors: errs,
    fileErrorCount: latest?.fileErrorCount ?? 0,
    excerpt: latest?.reportId ? await excerpt(db, latest.reportId, errs.map((e) => e.line)) : null,
    reportId: latest?.reportId ?? null,
    ack: row.ack,
    suspicion: row.suspicion ?? [],
    baseline: latest?.reportId ? await baselineView(db, server, suspect) : null,
  };
}

/** A few lines around the first errors (or the log's end), read from the stored raw report. */
async function excerpt(db: Db, reportId: number, errorLines: number[], around = 2, maxLines = 30): Promise<string> {
  const wanted = new Set<number>();
  for (const l of errorLines.slice(0, 5)) for (let i = l - around; i <= l + around; i++) wanted.add(i);
  const tail: string[] = [];
  const picked: string[] = [];
  let lineNo = 0;
  let carry = '';
  const decoder = new TextDecoder();
  const take = (line: string) => {
    lineNo++;
    const clean = line.replace(/\r$/, '').slice(0, 300);
    if (wanted.has(lineNo) && picked.length < maxLines) picked.push(`${lineNo}: ${clean}`);
    tail.push(`${lineNo}: ${clean}`);
    if (tail.length > 6) tail.shift();
  };
  for await (const chunk of readRaw(db, reportId)) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) take(l);
    if (picked.length >= maxLines && wanted.size > 0 && lineNo > Math.max(...wanted)) break;
  }
  if (carry) take(carry);
  return (picked.length ? picked : tail).join('\n');
}

/** Uploads the raw report as a file where the details were opened. */
export async function downloadLog(deps: WorkflowDeps, args: { userId: string; reportId: number; origin: Origin }): Promise<void> {
  const [report] = await deps.db
    .select({ id: reports.id, size: reports.size, serverId: reports.serverId, serverName: servers.name, receivedAt: reports.receivedAt })
    .from(reports)
    .innerJoin(servers, eq(servers.id, reports.serverId))
    .where(eq(reports.id, args.reportId));
  if (!report) throw new AppError('not_found', STALE_BUTTON);
  if (report.size > MAX_DOWNLOAD_BYTES) {
    await tell(deps, args.userId, args.origin, `That log is ${report.size} bytes, too big to send here: fetch it with the CLI on the backupbot host.`);
    return;
  }
  const parts: Buffer[] = [];
  for await (const c of readRaw(deps.db, report.id)) parts.push(c);
  const filename = `${report.serverName}-${report.receivedAt.toISOString().slice(0, 10)}-report-${report.id}.log`;
  // A customer's raw log goes only to the person who asked for it, in a direct message.
  const dm = await deps.client.conversations.open({ users: args.userId });
  const channel = dm.channel?.id;
  if (!channel) throw new AppError('conflict', 'Slack did not open a direct message with you, so the log was not sent.');
  await deps.client.filesUploadV2({
    file: Buffer.concat(parts),
    filename,
    title: filename,
    channel_id: channel,
    initial_comment: `Raw log of ${code(report.serverName)} (report ${report.id}), exactly as received.`,
  });
  await audit(deps.db, args.userId, 'report.download', report.serverId, { reportId: report.id });
  await tell(deps, args.userId, args.origin, `:inbox_tray: Sent you the raw log of ${code(report.serverName)} (report ${report.id}) in a direct message; nobody else sees it.`);
}

/** The App Home tab: fleet counts, open failures, and (for approvers) what waits for them. */
export async function homeFor(db: Db, approver: boolean, now: Date) {
  const { counts, detail } = await fleetWithDetail(db, now, PROBLEM_STATES);
  const open = await problemRows(db, detail, now);
  return homeView(counts, open, approver ? await pendingApprovals(db) : null, now);
}

export async function pendingApprovals(db: Db): Promise<ExceptionRow[]> {
  return db.select().from(exceptions).where(eq(exceptions.state, 'pending')).orderBy(desc(exceptions.createdAt)).limit(20);
}
