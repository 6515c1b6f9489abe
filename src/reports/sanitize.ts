import type { ParsedReport } from '../parsers/types.ts';
import type { Verdict } from './classify.ts';

/**
 * Postgres refuses two things a JavaScript string can hold: NUL (in text, and as \u0000 in
 * jsonb) and UTF-16 surrogates without their pair (jsonb rejects the escape; text turns
 * them into garbage). A log may contain either. The raw bytes are stored untouched in
 * bytea; only the text we derive from them goes through here, with each bad character
 * replaced by U+FFFD so the reader still sees that something was there.
 */
const REFUSED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_REFUSED = /\u0000|[\uD800-\uDFFF]/;

export function cleanText(s: string): string {
  return HAS_REFUSED.test(s) ? s.replace(REFUSED, '\uFFFD') : s;
}

/** The same for every string (and key) inside a value bound for jsonb. */
export function cleanJson<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => cleanJson(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[cleanText(k)] = cleanJson(v);
    return out as T;
  }
  return value;
}

export function cleanParsed(p: ParsedReport): ParsedReport {
  return {
    ...p,
    reason: p.reason === null ? null : cleanText(p.reason),
    fileErrors: p.fileErrors.map((e) => ({ ...e, path: cleanText(e.path), message: cleanText(e.message) })),
    messages: p.messages.map(cleanText),
    stats: cleanJson(p.stats),
  };
}

export function cleanVerdict(v: Verdict): Verdict {
  return { ...v, meaning: cleanText(v.meaning), reason: v.reason === null ? null : cleanText(v.reason) };
}
