import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { appSettings } from '../db/schema.ts';

/**
 * Signed, expiring credentials for the web pages. Two kinds share one key but never one
 * meaning: a link token ("l1", what `backupbot web-link` and `/backup web` hand out) and a
 * session cookie ("s1", what opening such a link sets). Each signature covers its kind, so a
 * cookie value cannot be replayed as a link or the other way round.
 */

export const SESSION_COOKIE = 'bb_session';
export const SESSION_HOURS = 12;
export const DEFAULT_LINK_HOURS = 24;
export const MAX_LINK_HOURS = 24 * 30;

const SECRET_KEY = 'web_secret';

/**
 * The signing key: WEB_SECRET when configured, else a random key made by the first process
 * that needs one and kept in the database, so every replica (and the CLI) signs alike.
 */
export async function webSecret(db: Db, configured: string | undefined): Promise<Buffer> {
  if (configured) return configuredSecret(configured);
  await db.insert(appSettings).values({ key: SECRET_KEY, value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await db.select({ value: appSettings.value }).from(appSettings).where(eq(appSettings.key, SECRET_KEY));
  if (!row) throw new Error('The web signing key could not be stored in the database (app_settings); check that migrations ran.');
  return Buffer.from(row.value, 'base64url');
}

/** The key WEB_SECRET names, as bytes. */
export const configuredSecret = (value: string) => Buffer.from(value, 'utf8');

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

function sign(secret: Buffer, kind: string, parts: string[]): string {
  return createHmac('sha256', secret).update([kind, ...parts].join('|')).digest('base64url');
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Grant {
  /** Who the credential was issued to ("cli", or a Slack user id). */
  subject: string;
  expiresAt: Date;
}

/** A link token: kind, expiry (unix seconds), a random nonce, the subject, and the HMAC over all of them. */
export function signLink(secret: Buffer, subject: string, expiresAt: Date): string {
  const parts = [String(Math.floor(expiresAt.getTime() / 1000)), randomBytes(12).toString('base64url'), b64(subject)];
  return ['l1', ...parts, sign(secret, 'l1', parts)].join('.');
}

/** The `state` of a Sign in with Slack round trip: expiry, nonce, and where to go afterwards. */
export function signOidcState(secret: Buffer, next: string, expiresAt: Date): string {
  const parts = [String(Math.floor(expiresAt.getTime() / 1000)), randomBytes(12).toString('base64url'), b64(next)];
  return ['o1', ...parts, sign(secret, 'o1', parts)].join('.');
}

export function signSession(secret: Buffer, subject: string, expiresAt: Date): string {
  const parts = [String(Math.floor(expiresAt.getTime() / 1000)), randomBytes(12).toString('base64url'), b64(subject)];
  return ['s1', ...parts, sign(secret, 's1', parts)].join('.');
}

export type VerifyFailure = 'malformed' | 'bad_signature' | 'expired';

/** Checks a link token or session value of the given kind; never throws on hostile input. */
export function verify(secret: Buffer, kind: 'l1' | 's1' | 'o1', value: string | undefined, now: Date): Grant | VerifyFailure {
  if (!value || value.length > 1024) return 'malformed';
  const fields = value.split('.');
  if (fields.length !== 5 || fields[0] !== kind) return 'malformed';
  const [, exp, nonce, subject, mac] = fields as [string, string, string, string, string];
  if (!/^\d{1,12}$/.test(exp) || !/^[\w-]{8,64}$/.test(nonce) || !/^[\w-]{0,200}$/.test(subject)) return 'malformed';
  if (!sameSignature(mac, sign(secret, kind, [exp, nonce, subject]))) return 'bad_signature';
  const expiresAt = new Date(Number(exp) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return 'expired';
  return { subject: unb64(subject), expiresAt };
}

/** The Set-Cookie header for a session: HttpOnly, SameSite=Lax, Secure behind HTTPS. */
export function sessionCookie(value: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The base every link points at: PUBLIC_URL without a trailing slash, or this machine's port. */
export function publicBase(publicUrl: string | undefined, port: number): string {
  return (publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
}

/** A complete sign-in URL valid for `hours`. */
export function signInUrl(base: string, secret: Buffer, subject: string, hours: number, now = new Date()): { url: string; expiresAt: Date } {
  const expiresAt = new Date(now.getTime() + hours * 3600_000);
  return { url: `${base}/login?token=${signLink(secret, subject, expiresAt)}`, expiresAt };
}
