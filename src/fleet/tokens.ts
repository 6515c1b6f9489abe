import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new upload token: 32 random bytes, prefixed so it is recognisable in a script. */
export function newToken(): string {
  return `bbt_${randomBytes(32).toString('base64url')}`;
}

/**
 * Tokens are long and random, so a fast hash is enough to make a stolen database
 * useless for uploading; only the hash is stored.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
