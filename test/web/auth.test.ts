import { describe, expect, it } from 'vitest';
import { publicBase, readCookie, sessionCookie, signInUrl, signLink, signSession, verify } from '../../src/web/auth.ts';

const key = Buffer.from('k'.repeat(40));
const other = Buffer.from('x'.repeat(40));
const now = new Date('2026-11-23T12:00:00Z');
const later = new Date(now.getTime() + 3600_000);

describe('signed web links and sessions', () => {
  it('accepts its own link until it expires, with the subject it was issued to', () => {
    const token = signLink(key, 'U123', later);
    expect(verify(key, 'l1', token, now)).toEqual({ subject: 'U123', expiresAt: new Date(Math.floor(later.getTime() / 1000) * 1000) });
    expect(verify(key, 'l1', token, new Date(later.getTime() + 1000))).toBe('expired');
  });

  it('refuses a link signed with another key, or with any field changed', () => {
    const token = signLink(key, 'cli', later);
    expect(verify(other, 'l1', token, now)).toBe('bad_signature');
    const [kind, exp, nonce, subject, mac] = token.split('.');
    // Pushing the expiry out is the obvious forgery.
    expect(verify(key, 'l1', [kind, String(Number(exp) + 86400), nonce, subject, mac].join('.'), now)).toBe('bad_signature');
    expect(verify(key, 'l1', [kind, exp, nonce, Buffer.from('U999').toString('base64url'), mac].join('.'), now)).toBe('bad_signature');
    expect(verify(key, 'l1', [kind, exp, nonce, subject, mac!.slice(0, -2) + 'AA'].join('.'), now)).toBe('bad_signature');
    expect(verify(key, 'l1', token.slice(0, -5), now)).toBe('bad_signature');
  });

  it('never takes a session cookie for a link or a link for a session', () => {
    expect(verify(key, 'l1', signSession(key, 'cli', later), now)).toBe('malformed');
    expect(verify(key, 's1', signLink(key, 'cli', later), now)).toBe('malformed');
    const swapped = signSession(key, 'cli', later).replace(/^s1/, 'l1');
    expect(verify(key, 'l1', swapped, now)).toBe('bad_signature');
  });

  it('answers hostile input with a refusal, not an exception', () => {
    for (const v of [undefined, '', 'l1', 'l1....', 'l1.1.2.3.4.5', 'l1.99999999999999.aaaaaaaa.YQ.x', 'a'.repeat(5000), 'l1.1e9.aaaaaaaa.YQ.sig']) {
      expect(verify(key, 'l1', v, now)).toBe('malformed');
    }
  });

  it('sets an HttpOnly, SameSite=Lax cookie, Secure only behind https', () => {
    const c = sessionCookie('v', later, false);
    expect(c).toMatch(/^bb_session=v; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    expect(sessionCookie('v', later, true)).toMatch(/; Secure$/);
    expect(readCookie('a=1; bb_session=abc.def; b=2', 'bb_session')).toBe('abc.def');
    expect(readCookie('xbb_session=1', 'bb_session')).toBeUndefined();
  });

  it('builds the sign-in URL on PUBLIC_URL, or localhost and the port', () => {
    expect(publicBase(undefined, 3000)).toBe('http://localhost:3000');
    expect(publicBase('https://bb.example.net/', 3000)).toBe('https://bb.example.net');
    const { url } = signInUrl('https://bb.example.net', key, 'cli', 2, now);
    expect(url).toMatch(/^https:\/\/bb\.example\.net\/login\?token=l1\.\d+\.[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
