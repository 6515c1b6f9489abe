/**
 * A stand-in for Slack's Web API on loopback, strict enough that a test fails when the app sends
 * something real Slack would reject. Point the app at it with `SLACK_API_URL = standIn.url`
 * (Bolt: `clientOptions.slackApiUrl`).
 *
 * What it checks, and why (numbers and error codes from the Slack method reference pages):
 * - auth: `Authorization: Bearer <token>` (what @slack/web-api sends) or a `token` form field;
 *   missing → `not_authed`, wrong → `invalid_auth`, both HTTP 200 like Slack. JSON bodies must
 *   use the header (Slack ignores a token inside a JSON body).
 * - bodies: `application/x-www-form-urlencoded` (web-api's default; `blocks`, `view`, `files`,
 *   `attachments`… arrive as JSON strings and are decoded here), `application/json`, and
 *   `multipart/form-data`. Other content types → `invalid_post_type`, none → `missing_post_type`.
 * - chat.postMessage / chat.update / chat.postEphemeral: known channel (`channel_not_found`),
 *   `text` or `blocks` (`no_text`), text ≤ 40,000 (`msg_too_long`), Block Kit limits
 *   (`invalid_blocks` with `errors` and `response_metadata.messages` worded like Slack's),
 *   `thread_ts` must be a message this stand-in returned in that channel (`thread_not_found`;
 *   real Slack answers ok and the reply silently goes nowhere, which is worse), chat.update needs
 *   a `ts` it returned (`message_not_found`), chat.postEphemeral needs `user`
 *   (`user_not_in_channel`) and answers `{ ok, message_ts }` like Slack (ephemeral messages
 *   cannot be updated or threaded on, so their ts is not remembered).
 * - views.open / views.push (trigger_id single-use → `exchanged_trigger_id`), views.update
 *   (view_id / external_id it returned → `not_found`, `hash` → `hash_conflict`), views.publish
 *   (`user_id`, type home). Invalid views answer `invalid_arguments` with
 *   `response_metadata.messages`, as Slack does for views.
 * - files.getUploadURLExternal → upload_url on this server; POST the bytes there (raw or
 *   multipart, as web-api's filesUploadV2 does); files.completeUploadExternal checks the ids
 *   (`file_not_found`), the byte count against the declared `length`, `channel_id`
 *   (`invalid_channel`) and `thread_ts`, and records the bytes on the call's body as
 *   `uploaded: [{ id, title, filename, length, base64 }]`.
 * - files.upload (retired by Slack in 2025) → `method_deprecated`; anything else unknown →
 *   `unknown_method`.
 * - Socket Mode: apps.connections.open takes only the app-level token (`xapp-…`; a bot or user
 *   token → `not_allowed_token_type`, another xapp token → `invalid_auth`) and answers
 *   `{ ok, url: 'ws://127.0.0.1:<port>/link/?ticket=…' }`; the ticket is good for one connection.
 *   Bot-token methods called with the app token → `not_allowed_token_type`. The WebSocket says
 *   `hello` on connect, answers pings, and `socket.send(...)` delivers envelopes the way Slack
 *   does (`{ envelope_id, type, payload, accepts_response_payload }`); each ack
 *   (`{ envelope_id, payload? }`) is recorded with its time. An ack for an unknown or already
 *   acknowledged envelope, a payload on an envelope that accepts none, or a slash command reply
 *   Slack would refuse is a rejection. `socket.disconnect(reason)`, `socket.close()` and
 *   `socket.drop()` end a connection the three ways Slack's end can.
 *
 * Every non-injected `ok: false` answer is also pushed to `rejections` with the reason, so a
 * test can simply assert `expect(standIn.rejections).toEqual([])`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { blockKitProblems, MESSAGE_TEXT_LIMIT, viewProblems } from './block-kit-limits.ts';
import { acceptWebSocket, type WebSocketPeer } from './websocket-server.ts';

export interface SlackCall {
  method: string;
  token: string | null;
  body: Record<string, unknown>;
  at: number;
}

export interface FailureSpec {
  status?: number;
  retryAfter?: number;
  error?: string;
}

/** Envelope types Slack sends over Socket Mode. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SentEnvelope {
  envelopeId: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** Which WebSocket connection (1, 2, …) carried it. */
  connection: number;
  sentAt: number;
  /** Set when the client acknowledged it: when, how long after sending, and the ack's payload. */
  ack?: { at: number; ms: number; payload: Record<string, unknown> | undefined };
}

export interface SocketModeStandIn {
  /** WebSocket connections accepted so far (each one was greeted with `hello`). */
  readonly connections: number;
  /** True while a client is connected. */
  readonly connected: boolean;
  /** Pings the client sent on a connection (1, 2, …; default: the newest), each answered with a pong. */
  pings(connection?: number): number;
  /**
   * Sends an envelope on the newest open connection, as Slack does; returns its envelope_id.
   * `payload` is what the app would get as the HTTP body (for a slash command, the form fields).
   */
  send(type: EnvelopeType, payload: Record<string, unknown>): string;
  /** Every envelope sent, oldest first. */
  envelopes: SentEnvelope[];
  envelope(id: string): SentEnvelope | undefined;
  /** Slack's `{ type: 'disconnect', reason }` message; the client is expected to close and reconnect. */
  disconnect(reason?: 'refresh_requested' | 'link_disabled' | 'warning'): void;
  /** Closes the connection with a close frame (the WebSocket close handshake). */
  close(code?: number): void;
  /** Drops the TCP connection without a close frame. */
  drop(): void;
}

export interface SlackStandIn {
  /** Base URL ending in '/api/' — what the app gets as SLACK_API_URL. */
  url: string;
  /** The app-level token apps.connections.open accepts — what the app gets as SLACK_APP_TOKEN. */
  appToken: string;
  /** Socket Mode: the WebSocket end, where tests send envelopes and read acks. */
  socket: SocketModeStandIn;
  /** A URL usable as a slash command's response_url; POSTs to it are recorded with method 'response_url:<id>'. */
  responseUrl(id?: string): string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Make the next `times` calls to `method` fail: HTTP 429 with Retry-After, an HTTP 5xx, or 200 {ok:false,error}. */
  failNext(method: string, failure: FailureSpec, times?: number): void;
  /** Every payload the stand-in rejected, with the reason (tests assert this stays empty). */
  rejections: Array<{ method: string; reason: string }>;
  /** Members of user groups, for usergroups.users.list. */
  setUserGroup(id: string, users: string[]): void;
  /**
   * Sign in with Slack: a one-time code, as Slack's consent page would hand the browser, that
   * openid.connect.token (client id OIDC_CLIENT.id, secret OIDC_CLIENT.secret) exchanges for
   * an ID token naming this user and workspace and carrying the nonce.
   */
  oidcCode(userId: string, nonce: string, teamId?: string): string;
  reset(): void;
  close(): Promise<void>;
}

export const OIDC_CLIENT = { id: '1234.5678', secret: 'oidc-client-secret' } as const;

export const STANDIN_IDS = {
  teamId: 'T_TEST',
  teamDomain: 'backupbot-test',
  botUserId: 'U_BOT',
  botId: 'B_BOT',
  appId: 'A_BACKUPBOT',
} as const;

type Obj = Record<string, unknown>;
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}
interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
}
interface StoredView {
  id: string;
  hash: string;
  view: Obj;
  userId?: string;
}
interface Upload {
  fileId: string;
  filename: string;
  declaredLength: number;
  bytes?: Buffer;
  completed: boolean;
}

/** Form fields Slack expects as JSON strings; decoded so tests see objects, as the app built them. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'unfurls', 'user_auth_blocks']);
const RESPONSE_URL_MAX_USES = 5;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const charCount = (s: string): number => [...s].length;
const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({ status, headers, body });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

type Parsed =
  | { ok: true; fields: Obj; bodyToken: string | null; files: Array<{ name: string; bytes: Buffer; type: string }> }
  | { ok: false; error: string; detail: string };

async function parseBody(contentType: string | undefined, raw: Buffer, query: URLSearchParams): Promise<Parsed> {
  const fields: Obj = Object.fromEntries(query);
  const files: Array<{ name: string; bytes: Buffer; type: string }> = [];
  let bodyToken: string | null = typeof fields.token === 'string' ? fields.token : null;
  if (raw.length === 0) return { ok: true, fields, bodyToken, files };
  if (!contentType) return { ok: false, error: 'missing_post_type', detail: 'a POST body without a Content-Type header' };
  const [mimeRaw, ...params] = contentType.split(';');
  const mime = (mimeRaw ?? '').trim().toLowerCase();
  const charset = params
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'iso-8859-1') {
    return { ok: false, error: 'invalid_charset', detail: `charset ${charset}` };
  }
  if (mime === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return { ok: false, error: 'invalid_json', detail: `body is not JSON (${(e as Error).message})` };
    }
    if (!isObj(parsed)) return { ok: false, error: 'invalid_json', detail: 'JSON body must be an object' };
    // Slack only reads the token of a JSON request from the Authorization header.
    bodyToken = null;
    Object.assign(fields, parsed);
  } else if (mime === 'application/x-www-form-urlencoded' || mime === 'text/plain') {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) fields[k] = v;
    bodyToken = typeof fields.token === 'string' ? fields.token : bodyToken;
  } else if (mime === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
    } catch (e) {
      return { ok: false, error: 'invalid_form_data', detail: (e as Error).message };
    }
    for (const [k, v] of form) {
      if (typeof v === 'string') {
        fields[k] = v;
      } else {
        const bytes = Buffer.from(await v.arrayBuffer());
        files.push({ name: v.name, bytes, type: v.type });
        fields[k] = { filename: v.name, length: bytes.length };
      }
    }
    bodyToken = typeof fields.token === 'string' ? fields.token : bodyToken;
  } else {
    return { ok: false, error: 'invalid_post_type', detail: `Content-Type ${mime}` };
  }
  for (const key of JSON_FIELDS) {
    const v = fields[key];
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        fields[key] = JSON.parse(v);
      } catch {
        // left as a string: the method handler reports it (e.g. invalid_blocks_format)
      }
    }
  }
  return { ok: true, fields, bodyToken, files };
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? null;
}

function randomId(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Slack fills in a random block_id on every block that has none; do the same in returned messages. */
function withBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((b) => (isObj(b) && b.block_id === undefined ? { ...b, block_id: randomId(5) } : b));
}

const truthy = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

export async function startSlackStandIn(opts: { token?: string; appToken?: string; channels?: string[] } = {}): Promise<SlackStandIn> {
  const expectedToken = opts.token ?? 'xoxb-test-token';
  const expectedAppToken = opts.appToken ?? 'xapp-1-A_BACKUPBOT-1-test-app-token';
  const channels = new Set(opts.channels ?? ['C_SUMMARY', 'C_FAILURES', 'C_APPROVALS']);

  const calls: SlackCall[] = [];
  const rejections: Array<{ method: string; reason: string }> = [];
  const failures = new Map<string, FailureSpec[]>();
  const messages = new Map<string, StoredMessage>();
  const dmChannels = new Set<string>();
  const views = new Map<string, StoredView>();
  const homeViews = new Map<string, string>(); // user_id → view id
  const usedTriggers = new Set<string>();
  const uploads = new Map<string, Upload>();
  const userGroups = new Map<string, string[]>();
  const responseUrlUses = new Map<string, number>();
  let tsCounter = 0;
  let idCounter = 0;
  let origin = '';

  const nextTs = (): string => {
    tsCounter += 1;
    const micros = tsCounter * 100;
    return `${1_700_000_000 + Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  };
  const nextId = (prefix: string): string => `${prefix}${String(++idCounter).padStart(10, '0')}`;

  const reject = (method: string, error: string, detail: string, extra: Obj = {}, status = 200): Reply => {
    rejections.push({ method, reason: `${error}: ${detail}` });
    return json({ ok: false, error, ...extra }, status);
  };
  const rejectWithProblems = (method: string, error: string, problems: string[], status = 200): Reply =>
    reject(
      method,
      error,
      problems.join('; '),
      { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } },
      status,
    );

  const takeFailure = (method: string): FailureSpec | undefined => {
    for (const key of [method, method.split(':')[0] ?? method]) {
      const queue = failures.get(key);
      if (queue && queue.length > 0) {
        const f = queue.shift();
        if (queue.length === 0) failures.delete(key);
        return f;
      }
    }
    return undefined;
  };

  const failureReply = (f: FailureSpec): Reply => {
    const status = f.status ?? (f.retryAfter !== undefined ? 429 : 200);
    if (status === 429) {
      return json({ ok: false, error: f.error ?? 'ratelimited' }, 429, { 'retry-after': String(f.retryAfter ?? 1) });
    }
    return json({ ok: false, error: f.error ?? (status >= 500 ? 'service_unavailable' : 'internal_error') }, status);
  };

  /** A channel id the app may post to; a user id opens (our stand-in for) the app's DM with that user. */
  const resolveChannel = (ch: unknown, allowUserId: boolean): string | null => {
    if (typeof ch !== 'string' || ch === '') return null;
    if (channels.has(ch) || dmChannels.has(ch)) return ch;
    if (allowUserId && /^[UW][A-Z0-9_]+$/.test(ch)) {
      const dm = `D${ch.slice(1)}`;
      dmChannels.add(dm);
      return dm;
    }
    return null;
  };
  const channelNotFound = (method: string, ch: unknown): Reply =>
    reject(method, 'channel_not_found', `channel ${JSON.stringify(ch)} is not a known channel (${[...channels].join(', ')})`);

  /** Checks text/blocks/attachments of a message payload; null when Slack would accept them. */
  const contentProblem = (method: string, b: Obj, status = 200): Reply | null => {
    const { text, blocks, attachments } = b;
    if (text !== undefined && typeof text !== 'string') {
      return reject(method, 'invalid_arguments', 'text must be a string', {}, status);
    }
    if (typeof blocks === 'string') {
      return reject(method, 'invalid_blocks_format', 'blocks is not a JSON array', {}, status);
    }
    if (blocks !== undefined && !Array.isArray(blocks)) {
      return reject(method, 'invalid_blocks_format', 'blocks must be an array', {}, status);
    }
    if (typeof attachments === 'string') {
      return reject(method, 'invalid_attachments', 'attachments is not a JSON array', {}, status);
    }
    if (Array.isArray(attachments) && attachments.length > 100) {
      return reject(method, 'too_many_attachments', `${attachments.length} attachments (max 100)`, {}, status);
    }
    const hasText = typeof text === 'string' && text.length > 0;
    const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
    const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
    if (!hasText && !hasBlocks && !hasAttachments) {
      return reject(method, 'no_text', 'neither text nor blocks (nor attachments) given', {}, status);
    }
    if (typeof text === 'string' && charCount(text) > MESSAGE_TEXT_LIMIT) {
      return reject(method, 'msg_too_long', `text is ${charCount(text)} characters (max ${MESSAGE_TEXT_LIMIT})`, {}, status);
    }
    if (Array.isArray(blocks)) {
      const problems = blockKitProblems(blocks, 'message');
      if (problems.length > 0) return rejectWithProblems(method, 'invalid_blocks', problems, status);
    }
    return null;
  };

  const threadProblem = (method: string, threadTs: unknown, channel: string): Reply | null => {
    if (threadTs === undefined || threadTs === null || threadTs === '') return null;
    if (typeof threadTs !== 'string' || !/^\d+\.\d+$/.test(threadTs)) {
      return reject(method, 'invalid_thread_ts', `${JSON.stringify(threadTs)} is not a valid thread_ts (a message ts string)`);
    }
    const parent = messages.get(threadTs);
    if (!parent || parent.channel !== channel) {
      return reject(method, 'thread_not_found', `no message ${threadTs} in ${channel} was posted through the stand-in`);
    }
    return null;
  };

  const messageJson = (m: StoredMessage): Obj => ({
    type: 'message',
    text: m.text,
    user: STANDIN_IDS.botUserId,
    bot_id: STANDIN_IDS.botId,
    app_id: STANDIN_IDS.appId,
    team: STANDIN_IDS.teamId,
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: STANDIN_IDS.botUserId } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    bot_profile: { id: STANDIN_IDS.botId, app_id: STANDIN_IDS.appId, name: 'backupbot', team_id: STANDIN_IDS.teamId },
  });

  const viewJson = (v: StoredView): Obj => ({
    close: null,
    submit: null,
    private_metadata: '',
    callback_id: '',
    external_id: '',
    ...v.view,
    id: v.id,
    team_id: STANDIN_IDS.teamId,
    blocks: Array.isArray(v.view.blocks) ? withBlockIds(v.view.blocks) : [],
    state: { values: {} },
    hash: v.hash,
    clear_on_close: truthy(v.view.clear_on_close),
    notify_on_close: truthy(v.view.notify_on_close),
    root_view_id: v.id,
    previous_view_id: null,
    app_id: STANDIN_IDS.appId,
    bot_id: STANDIN_IDS.botId,
  });
  const newHash = (): string => `${1_700_000_000 + tsCounter}.${randomBytes(4).toString('hex')}`;

  const viewArgProblem = (method: string, view: unknown, type: 'modal' | 'home'): Reply | null => {
    if (typeof view === 'string') return reject(method, 'invalid_arguments', 'view is not a JSON object', { response_metadata: { messages: ['[ERROR] invalid `view`'] } });
    if (view === undefined) return reject(method, 'invalid_arguments', 'view is required', { response_metadata: { messages: ['[ERROR] missing required field: view'] } });
    const problems = viewProblems(view, type);
    return problems.length > 0 ? rejectWithProblems(method, 'invalid_arguments', problems) : null;
  };

  const openModal = (method: string, b: Obj): Reply => {
    const trigger = typeof b.trigger_id === 'string' && b.trigger_id !== '' ? b.trigger_id : b.interactivity_pointer;
    if (typeof trigger !== 'string' || trigger === '') {
      return reject(method, 'invalid_arguments', 'trigger_id (or interactivity_pointer) is required', {
        response_metadata: { messages: ['[ERROR] invalid `trigger_id`'] },
      });
    }
    if (usedTriggers.has(trigger)) return reject(method, 'exchanged_trigger_id', `trigger_id ${trigger} was already used`);
    const problem = viewArgProblem(method, b.view, 'modal');
    if (problem) return problem;
    usedTriggers.add(trigger);
    const stored: StoredView = { id: nextId('V'), hash: newHash(), view: b.view as Obj };
    views.set(stored.id, stored);
    return json({ ok: true, view: viewJson(stored) });
  };

  type Handler = (method: string, b: Obj, call: SlackCall) => Reply;
  const handlers: Record<string, Handler> = {
    'auth.test': () =>
      json({
        ok: true,
        url: `https://${STANDIN_IDS.teamDomain}.slack.com/`,
        team: 'Backupbot Test',
        user: 'backupbot',
        team_id: STANDIN_IDS.teamId,
        user_id: STANDIN_IDS.botUserId,
        bot_id: STANDIN_IDS.botId,
        is_enterprise_install: false,
      }),

    'chat.postMessage': (method, b) => {
      const channel = resolveChannel(b.channel, true);
      if (!channel) return channelNotFound(method, b.channel);
      const bad = contentProblem(method, b) ?? threadProblem(method, b.thread_ts, channel);
      if (bad) return bad;
      const ts = nextTs();
      const m: StoredMessage = {
        channel,
        ts,
        text: typeof b.text === 'string' ? b.text : '',
        ...(typeof b.thread_ts === 'string' && b.thread_ts !== '' ? { thread_ts: b.thread_ts } : {}),
        ...(Array.isArray(b.blocks) ? { blocks: withBlockIds(b.blocks) } : {}),
      };
      messages.set(ts, m);
      return json({ ok: true, channel, ts, message: messageJson(m) });
    },

    'chat.postEphemeral': (method, b) => {
      const channel = resolveChannel(b.channel, false);
      if (!channel) return channelNotFound(method, b.channel);
      if (typeof b.user !== 'string' || !/^[UW][A-Z0-9_]+$/.test(b.user)) {
        return reject(method, 'user_not_in_channel', `user ${JSON.stringify(b.user)} is not a user id`);
      }
      const bad = contentProblem(method, b) ?? threadProblem(method, b.thread_ts, channel);
      if (bad) return bad;
      return json({ ok: true, message_ts: nextTs() });
    },

    'chat.update': (method, b) => {
      const channel = resolveChannel(b.channel, false);
      if (!channel) return channelNotFound(method, b.channel);
      const m = typeof b.ts === 'string' ? messages.get(b.ts) : undefined;
      if (!m || m.channel !== channel) {
        return reject(method, 'message_not_found', `no message ${JSON.stringify(b.ts)} in ${channel} was posted through the stand-in`);
      }
      const bad = contentProblem(method, b);
      if (bad) return bad;
      if (typeof b.text === 'string') m.text = b.text;
      if (Array.isArray(b.blocks)) m.blocks = withBlockIds(b.blocks);
      return json({ ok: true, channel, ts: m.ts, text: m.text, message: messageJson(m) });
    },

    'chat.delete': (method, b) => {
      const channel = resolveChannel(b.channel, false);
      if (!channel) return channelNotFound(method, b.channel);
      const m = typeof b.ts === 'string' ? messages.get(b.ts) : undefined;
      if (!m || m.channel !== channel) return reject(method, 'message_not_found', `no message ${JSON.stringify(b.ts)} in ${channel}`);
      messages.delete(m.ts);
      return json({ ok: true, channel, ts: m.ts });
    },

    'chat.getPermalink': (method, b) => {
      const channel = resolveChannel(b.channel, false);
      if (!channel) return channelNotFound(method, b.channel);
      const m = typeof b.message_ts === 'string' ? messages.get(b.message_ts) : undefined;
      if (!m || m.channel !== channel) return reject(method, 'message_not_found', `no message ${JSON.stringify(b.message_ts)} in ${channel}`);
      return json({
        ok: true,
        channel,
        permalink: `https://${STANDIN_IDS.teamDomain}.slack.com/archives/${channel}/p${m.ts.replace('.', '')}`,
      });
    },

    'conversations.info': (method, b) => {
      const ch = b.channel;
      if (typeof ch !== 'string' || !(channels.has(ch) || dmChannels.has(ch))) return channelNotFound(method, ch);
      const isDm = dmChannels.has(ch);
      const name = ch.replace(/^C_?/, '').toLowerCase();
      return json({
        ok: true,
        channel: {
          id: ch,
          ...(isDm ? { is_im: true, user: `U${ch.slice(1)}` } : { name, name_normalized: name, is_channel: true }),
          is_private: false,
          is_archived: false,
          is_general: false,
          is_member: true,
          created: 1_700_000_000,
          creator: 'U_ADMIN',
          context_team_id: STANDIN_IDS.teamId,
        },
      });
    },

    'conversations.open': (method, b) => {
      // Slack takes a comma-separated list of user ids; one user gives the app's DM with them.
      const users = typeof b.users === 'string' ? b.users.split(',').map((u) => u.trim()).filter(Boolean) : [];
      if (users.length !== 1 || !/^[UW][A-Z0-9_]+$/.test(users[0]!)) return reject(method, 'users_list_not_supplied', 'users must be one user id, e.g. "U123"');
      const dm = resolveChannel(users[0], true)!;
      return json({ ok: true, channel: { id: dm } });
    },

    'usergroups.users.list': (method, b) => {
      const users = typeof b.usergroup === 'string' ? userGroups.get(b.usergroup) : undefined;
      if (!users) return reject(method, 'no_such_subteam', `no user group ${JSON.stringify(b.usergroup)} (setUserGroup was not called for it)`);
      return json({ ok: true, users: [...users] });
    },

    'views.open': (method, b) => openModal(method, b),
    'views.push': (method, b) => openModal(method, b),

    'views.update': (method, b) => {
      let stored: StoredView | undefined;
      if (typeof b.view_id === 'string' && b.view_id !== '') stored = views.get(b.view_id);
      else if (typeof b.external_id === 'string' && b.external_id !== '') {
        stored = [...views.values()].find((v) => v.view.external_id === b.external_id);
      } else {
        return reject(method, 'invalid_arguments', 'either view_id or external_id is required');
      }
      if (!stored) return reject(method, 'not_found', `no view ${JSON.stringify(b.view_id ?? b.external_id)} was opened through the stand-in`);
      if (typeof b.hash === 'string' && b.hash !== '' && b.hash !== stored.hash) {
        return reject(method, 'hash_conflict', `hash ${b.hash} is not the view's current hash ${stored.hash}`);
      }
      const type = stored.view.type === 'home' ? 'home' : 'modal';
      const problem = viewArgProblem(method, b.view, type);
      if (problem) return problem;
      stored.view = b.view as Obj;
      stored.hash = newHash();
      return json({ ok: true, view: viewJson(stored) });
    },

    'views.publish': (method, b) => {
      if (typeof b.user_id !== 'string' || !/^[UW][A-Z0-9_]+$/.test(b.user_id)) {
        return reject(method, 'invalid_arguments', `user_id ${JSON.stringify(b.user_id)} is not a user id`, {
          response_metadata: { messages: ['[ERROR] invalid `user_id`'] },
        });
      }
      const problem = viewArgProblem(method, b.view, 'home');
      if (problem) return problem;
      const existingId = homeViews.get(b.user_id);
      const existing = existingId ? views.get(existingId) : undefined;
      if (existing && typeof b.hash === 'string' && b.hash !== '' && b.hash !== existing.hash) {
        return reject(method, 'hash_conflict', `hash ${b.hash} is not the Home tab's current hash ${existing.hash}`);
      }
      const stored: StoredView = existing ?? { id: nextId('V'), hash: '', view: {}, userId: b.user_id };
      stored.view = b.view as Obj;
      stored.hash = newHash();
      views.set(stored.id, stored);
      homeViews.set(b.user_id, stored.id);
      return json({ ok: true, view: viewJson(stored) });
    },

    'files.getUploadURLExternal': (method, b) => {
      const length = typeof b.length === 'number' ? b.length : Number(b.length);
      if (typeof b.filename !== 'string' || b.filename === '') {
        return reject(method, 'invalid_arguments', 'filename is required');
      }
      if (!Number.isInteger(length) || length <= 0) {
        return reject(method, 'missing_argument', `length must be a positive integer byte count, got ${JSON.stringify(b.length)}`);
      }
      if (typeof b.alt_txt === 'string' && charCount(b.alt_txt) > 1000) {
        return reject(method, 'alt_txt_too_large', `alt_txt is ${charCount(b.alt_txt)} characters (max 1000)`);
      }
      const fileId = nextId('F');
      uploads.set(fileId, { fileId, filename: b.filename, declaredLength: length, completed: false });
      return json({ ok: true, upload_url: `${origin}/upload/v1/${fileId}`, file_id: fileId });
    },

    'files.completeUploadExternal': (method, b, call) => {
      const files = b.files;
      if (!Array.isArray(files) || files.length === 0 || !files.every((f) => isObj(f) && typeof f.id === 'string')) {
        return reject(method, 'invalid_arguments', 'files must be a non-empty JSON array of {id, title?}');
      }
      const entries = files as Array<{ id: string; title?: unknown }>;
      for (const f of entries) {
        const u = uploads.get(f.id);
        if (!u || u.completed) return reject(method, 'file_not_found', `${f.id} was not returned by files.getUploadURLExternal (or is already completed)`);
        if (!u.bytes) return reject(method, 'file_not_found', `nothing was uploaded to the upload_url of ${f.id}`);
        if (u.bytes.length !== u.declaredLength) {
          return reject(method, 'invalid_arguments', `${f.id}: uploaded ${u.bytes.length} bytes but files.getUploadURLExternal declared length ${u.declaredLength}`);
        }
      }
      const targets: string[] = [];
      if (b.channel_id !== undefined && b.channel_id !== '') targets.push(String(b.channel_id));
      if (typeof b.channels === 'string' && b.channels !== '') targets.push(...b.channels.split(',').map((c) => c.trim()));
      for (const t of targets) {
        if (!resolveChannel(t, false)) return reject(method, 'invalid_channel', `channel ${JSON.stringify(t)} is not a known channel`);
      }
      if (b.thread_ts !== undefined && b.thread_ts !== '') {
        const [only, ...more] = targets;
        if (only === undefined || more.length > 0) {
          return reject(method, 'invalid_arguments', 'thread_ts needs exactly one channel (channel_id)');
        }
        const bad = threadProblem(method, b.thread_ts, only);
        if (bad) return bad;
      }
      if (b.blocks !== undefined && b.initial_comment === undefined) {
        if (!Array.isArray(b.blocks)) return reject(method, 'invalid_blocks_format', 'blocks must be a JSON array');
        const problems = blockKitProblems(b.blocks, 'message');
        if (problems.length > 0) return rejectWithProblems(method, 'invalid_blocks', problems);
      }
      if (typeof b.initial_comment === 'string' && charCount(b.initial_comment) > MESSAGE_TEXT_LIMIT) {
        return reject(method, 'msg_too_long', `initial_comment is ${charCount(b.initial_comment)} characters`);
      }
      const uploaded = entries.map((f) => {
        const u = uploads.get(f.id) as Upload & { bytes: Buffer };
        u.completed = true;
        const title = typeof f.title === 'string' && f.title !== '' ? f.title : u.filename;
        return { id: f.id, title, filename: u.filename, length: u.bytes.length, base64: u.bytes.toString('base64') };
      });
      call.body.uploaded = uploaded;
      return json({
        ok: true,
        files: uploaded.map((u) => ({
          id: u.id,
          created: 1_700_000_000 + tsCounter,
          name: u.filename,
          title: u.title,
          size: u.length,
          user: STANDIN_IDS.botUserId,
          is_external: false,
          ...(targets.length > 0 ? { channels: targets } : {}),
        })),
      });
    },

    'files.upload': (method) =>
      reject(method, 'method_deprecated', 'files.upload was retired by Slack; use files.getUploadURLExternal + files.completeUploadExternal (client.filesUploadV2)'),
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    const isText = typeof reply.body === 'string';
    const payload = isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(payload)),
      ...reply.headers,
    });
    res.end(payload);
  };

  const oidcCodes = new Map<string, { userId: string; nonce: string; teamId: string }>();
  /** openid.connect.token authenticates the app by client id and secret, not by a token. */
  const oidcToken = (method: string, b: Obj): Reply => {
    if (b.client_id !== OIDC_CLIENT.id) return reject(method, 'invalid_client_id', `client_id ${String(b.client_id)} is not the app's`);
    if (b.client_secret !== OIDC_CLIENT.secret) return reject(method, 'bad_client_secret', 'client_secret is wrong');
    const grant = oidcCodes.get(String(b.code));
    if (!grant) return reject(method, 'invalid_code', 'unknown or already used code');
    oidcCodes.delete(String(b.code));
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { iss: 'https://slack.com', sub: grant.userId, aud: OIDC_CLIENT.id, exp: now + 300, iat: now, nonce: grant.nonce, 'https://slack.com/team_id': grant.teamId, name: 'Test User' };
    return json({ ok: true, access_token: `xoxp-${grant.userId}`, token_type: 'Bearer', id_token: `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln` });
  };

  // ---- Socket Mode ----------------------------------------------------------------------
  const tickets = new Set<string>();
  const peers: Array<{ peer: WebSocketPeer; connection: number }> = [];
  const envelopes: SentEnvelope[] = [];
  let connectionCount = 0;
  let envelopeCounter = 0;
  const pingCounts = new Map<number, number>();

  /** apps.connections.open: only an app-level token may open a connection (docs: "Using Socket Mode"). */
  const connectionsOpen = (method: string, token: string): Reply => {
    if (!token.startsWith('xapp-')) {
      return reject(method, 'not_allowed_token_type', `apps.connections.open needs an app-level token (xapp-…), got ${token.slice(0, 5)}…`);
    }
    if (token !== expectedAppToken) return reject(method, 'invalid_auth', `token ${token.slice(0, 10)}… is not the app-level token`);
    const ticket = randomBytes(12).toString('hex');
    tickets.add(ticket);
    return json({ ok: true, url: `${origin.replace(/^http:/, 'ws:')}/link/?ticket=${ticket}&app_id=${STANDIN_IDS.appId}` });
  };

  const newestPeer = () => [...peers].reverse().find((p) => p.peer.open);

  /** What Slack accepts as the payload of an ack, by envelope. */
  const ackProblem = (env: SentEnvelope, payload: Record<string, unknown> | undefined): void => {
    if (payload === undefined || Object.keys(payload).length === 0) return;
    const method = `ack:${env.type}`;
    const accepts = env.type === 'slash_commands' || (env.type === 'interactive' && env.payload.type === 'view_submission');
    if (!accepts) {
      reject(method, 'invalid_ack', `a payload on the ack of a ${env.type} envelope (${String(env.payload.type ?? '')}), which accepts none: ${JSON.stringify(payload).slice(0, 200)}`);
      return;
    }
    if (env.type === 'slash_commands') {
      contentProblem(method, payload);
      const rt = payload.response_type;
      if (rt !== undefined && rt !== 'in_channel' && rt !== 'ephemeral') reject(method, 'invalid_arguments', `response_type ${JSON.stringify(rt)}`);
      return;
    }
    const action = payload.response_action;
    if (action === 'errors') {
      if (!isObj(payload.errors) || Object.keys(payload.errors).length === 0) reject(method, 'invalid_arguments', 'response_action errors without an errors object');
    } else if (action === 'update' || action === 'push') {
      viewArgProblem(method, payload.view, 'modal');
    } else if (action !== 'clear') {
      reject(method, 'invalid_arguments', `response_action ${JSON.stringify(action)} (errors, update, push or clear)`);
    }
  };

  const onSocketMessage = (connection: number, text: string): void => {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      reject('socket', 'invalid_json', `connection ${connection} sent a message that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (!isObj(msg) || typeof msg.envelope_id !== 'string') {
      reject('socket', 'invalid_message', `connection ${connection} sent something that is not an ack: ${text.slice(0, 200)}`);
      return;
    }
    const env = envelopes.find((e) => e.envelopeId === msg.envelope_id);
    if (!env) {
      reject('socket', 'unknown_envelope', `an ack for envelope ${msg.envelope_id}, which was never sent`);
      return;
    }
    if (env.ack) {
      reject('socket', 'already_acked', `a second ack for envelope ${env.envelopeId}`);
      return;
    }
    if (msg.payload !== undefined && !isObj(msg.payload)) {
      reject(`ack:${env.type}`, 'invalid_ack', `the ack payload of ${env.envelopeId} is not an object`);
      return;
    }
    const payload = msg.payload as Record<string, unknown> | undefined;
    const at = Date.now();
    env.ack = { at, ms: at - env.sentAt, payload };
    ackProblem(env, payload);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!/^\/link\/?$/.test(url.pathname) || !tickets.delete(ticket)) {
      reject('socket', 'invalid_ticket', `a WebSocket upgrade to ${url.pathname} with a ticket apps.connections.open did not hand out (or one already used)`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const connection = ++connectionCount;
    const peer = acceptWebSocket(req, socket, head, {
      onMessage: (text) => onSocketMessage(connection, text),
      onPing: () => pingCounts.set(connection, (pingCounts.get(connection) ?? 0) + 1),
      onProblem: (problem) => reject('socket', 'protocol_error', `connection ${connection}: ${problem}`),
    });
    if (!peer) return;
    peers.push({ peer, connection });
    peer.send(
      JSON.stringify({
        type: 'hello',
        num_connections: peers.filter((p) => p.peer.open).length,
        debug_info: { host: 'applink-standin', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: STANDIN_IDS.appId },
      }),
    );
  };

  const socketMode: SocketModeStandIn = {
    get connections() {
      return connectionCount;
    },
    get connected() {
      return newestPeer() !== undefined;
    },
    pings: (connection = connectionCount) => pingCounts.get(connection) ?? 0,
    send(type, payload) {
      const current = newestPeer();
      if (!current) throw new Error('no Socket Mode connection is open');
      const envelopeId = `${randomBytes(4).toString('hex')}-${String(++envelopeCounter).padStart(4, '0')}-standin`;
      // Slack sets accepts_response_payload where the ack may carry the answer: slash commands
      // (the reply) and view submissions (response_action).
      const accepts = type === 'slash_commands' || (type === 'interactive' && payload.type === 'view_submission');
      envelopes.push({ envelopeId, type, payload, connection: current.connection, sentAt: Date.now() });
      current.peer.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: accepts }));
      return envelopeId;
    },
    envelopes,
    envelope: (id) => envelopes.find((e) => e.envelopeId === id),
    disconnect(reason = 'refresh_requested') {
      newestPeer()?.peer.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-standin' } }));
    },
    close(code = 1001) {
      newestPeer()?.peer.close(code, 'going away');
    },
    drop() {
      newestPeer()?.peer.destroy();
    },
  };

  const handleApi = async (req: IncomingMessage, method: string, raw: Buffer, query: URLSearchParams): Promise<Reply> => {
    const parsed = await parseBody(req.headers['content-type'], raw, query);
    if (method === 'openid.connect.token' && parsed.ok) {
      const { token: _t, ...fields } = parsed.fields;
      calls.push({ method, token: null, body: fields, at: Date.now() });
      return oidcToken(method, fields);
    }
    const headerToken = bearer(req);
    if (!parsed.ok) {
      calls.push({ method, token: headerToken, body: {}, at: Date.now() });
      return reject(method, parsed.error, parsed.detail);
    }
    const { token: _bodyToken, ...body } = parsed.fields;
    const token = headerToken ?? parsed.bodyToken;
    const call: SlackCall = { method, token, body, at: Date.now() };
    calls.push(call);
    const failure = takeFailure(method);
    if (failure) return failureReply(failure);
    if (!token) return reject(method, 'not_authed', 'no Authorization: Bearer header (and no token argument)');
    if (method === 'apps.connections.open') return connectionsOpen(method, token);
    if (token.startsWith('xapp-')) {
      return reject(method, 'not_allowed_token_type', `${method} was called with an app-level token; it needs the bot token`);
    }
    if (token !== expectedToken) return reject(method, 'invalid_auth', `token ${token.slice(0, 10)}… is not the bot token`);
    const handler = handlers[method];
    if (!handler) return reject(method, 'unknown_method', `${method} is not a Slack method the stand-in implements`);
    return handler(method, body, call);
  };

  const handleUpload = async (req: IncomingMessage, fileId: string, raw: Buffer): Promise<Reply> => {
    const method = `upload_url:${fileId}`;
    const u = uploads.get(fileId);
    const ct = req.headers['content-type'] ?? '';
    let bytes = raw;
    let filename: string | undefined;
    if (ct.toLowerCase().startsWith('multipart/form-data')) {
      const parsed = await parseBody(ct, raw, new URLSearchParams());
      const file = parsed.ok ? parsed.files[0] : undefined;
      if (!file) {
        calls.push({ method, token: bearer(req), body: { file_id: fileId }, at: Date.now() });
        return reject(method, 'invalid_form_data', 'multipart upload without a file part', {}, 400);
      }
      bytes = file.bytes;
      filename = file.name;
    }
    calls.push({
      method,
      token: bearer(req),
      body: { file_id: fileId, length: bytes.length, content_type: ct, ...(filename ? { part_filename: filename } : {}) },
      at: Date.now(),
    });
    const failure = takeFailure(method);
    if (failure) return failureReply(failure);
    if (!u || u.completed) return reject(method, 'file_not_found', `no pending upload ${fileId}`, {}, 404);
    u.bytes = bytes;
    return { status: 200, body: `OK - ${bytes.length}` };
  };

  const handleResponseUrl = async (req: IncomingMessage, id: string, raw: Buffer): Promise<Reply> => {
    const method = `response_url:${id}`;
    const parsed = await parseBody(req.headers['content-type'], raw, new URLSearchParams());
    const body = parsed.ok ? parsed.fields : {};
    calls.push({ method, token: null, body, at: Date.now() });
    const failure = takeFailure(method);
    if (failure) return failureReply(failure);
    if (!parsed.ok) return reject(method, parsed.error, parsed.detail, {}, 400);
    const uses = (responseUrlUses.get(id) ?? 0) + 1;
    responseUrlUses.set(id, uses);
    if (uses > RESPONSE_URL_MAX_USES) {
      return reject(method, 'expired_url', `a response_url can be used ${RESPONSE_URL_MAX_USES} times; this was use ${uses}`, {}, 404);
    }
    const rt = body.response_type;
    if (rt !== undefined && rt !== 'in_channel' && rt !== 'ephemeral') {
      return reject(method, 'invalid_arguments', `response_type ${JSON.stringify(rt)} (in_channel or ephemeral)`, {}, 400);
    }
    if (truthy(body.delete_original)) return json({ ok: true });
    const bad = contentProblem(method, body, 400);
    return bad ?? json({ ok: true });
  };

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const raw = await readBody(req);
        const path = url.pathname;
        let reply: Reply;
        if (path.startsWith('/api/')) {
          reply = await handleApi(req, decodeURIComponent(path.slice('/api/'.length)), raw, url.searchParams);
        } else if (path.startsWith('/upload/v1/')) {
          reply = await handleUpload(req, decodeURIComponent(path.slice('/upload/v1/'.length)), raw);
        } else if (path.startsWith('/response_url/')) {
          reply = await handleResponseUrl(req, decodeURIComponent(path.slice('/response_url/'.length)), raw);
        } else {
          reply = { status: 404, body: 'not found' };
        }
        send(res, reply);
      } catch (e) {
        rejections.push({ method: req.url ?? '?', reason: `stand-in crashed: ${(e as Error).stack ?? String(e)}` });
        if (!res.headersSent) send(res, json({ ok: false, error: 'fatal_error' }, 500));
        else res.end();
      }
    })();
  });

  server.on('upgrade', onUpgrade);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  let responseUrlCounter = 0;

  return {
    url: `${origin}/api/`,
    appToken: expectedAppToken,
    socket: socketMode,
    responseUrl(id?: string): string {
      const key = id ?? `R${String(++responseUrlCounter).padStart(6, '0')}`;
      return `${origin}/response_url/${encodeURIComponent(key)}`;
    },
    calls,
    callsTo(method: string): SlackCall[] {
      return calls.filter((c) => c.method === method);
    },
    failNext(method: string, failure: FailureSpec, times = 1): void {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push({ ...failure });
      failures.set(method, queue);
    },
    rejections,
    oidcCode(userId: string, nonce: string, teamId: string = STANDIN_IDS.teamId): string {
      const code = `code-${randomBytes(8).toString('hex')}`;
      oidcCodes.set(code, { userId, nonce, teamId });
      return code;
    },
    setUserGroup(id: string, users: string[]): void {
      userGroups.set(id, [...users]);
    },
    reset(): void {
      calls.length = 0;
      rejections.length = 0;
      failures.clear();
      messages.clear();
      dmChannels.clear();
      views.clear();
      homeViews.clear();
      usedTriggers.clear();
      uploads.clear();
      userGroups.clear();
      responseUrlUses.clear();
      envelopes.length = 0;
    },
    close(): Promise<void> {
      // Upgraded sockets are no longer the HTTP server's: end them here.
      for (const p of peers) p.peer.destroy();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
