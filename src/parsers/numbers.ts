/**
 * rsync prints numbers in several shapes depending on version, locale and -h:
 *   1234567   1,234,567   1.234.567   1.23M   1,23M (-h, comma-decimal locale)
 * Rates and speedups carry two decimals: 1176127.02, 1,176,127.02, 1.176.127,02.
 */

const UNITS: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** A byte or file count. Returns undefined when the text is not a number. */
export function parseCount(text: string): number | undefined {
  const unit = /^(\d+(?:[.,]\d+)?)([KMGTP])$/.exec(text);
  if (unit) return Math.round(Number(unit[1]!.replace(',', '.')) * UNITS[unit[2]!]!);
  if (/^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$/.test(text)) return Number(text.replace(/[.,]/g, ''));
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

/** A rate or ratio, which rsync always prints with a fractional part. */
export function parseDecimal(text: string): number | undefined {
  const unit = /^([\d.,]+)([KMGTP])$/.exec(text);
  const body = unit ? unit[1]! : text;
  const m = /^(\d{1,3}(?:[.,]\d{3})*|\d+)(?:([.,])(\d+))?$/.exec(body);
  if (!m) return undefined;
  const whole = m[1]!.replace(/[.,]/g, '');
  const value = Number(m[3] === undefined ? whole : `${whole}.${m[3]}`);
  return unit ? value * UNITS[unit[2]!]! : value;
}
