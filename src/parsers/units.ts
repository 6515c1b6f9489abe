/** Sizes as restic, borg and TSM print them: "19.564 KiB", "62.75 MB", "1,234,567 B", "2.34 GB". */
const FACTORS: Record<string, number> = {
  B: 1,
  BYTES: 1,
  K: 1e3, KB: 1e3, KIB: 1024,
  M: 1e6, MB: 1e6, MIB: 1024 ** 2,
  G: 1e9, GB: 1e9, GIB: 1024 ** 3,
  T: 1e12, TB: 1e12, TIB: 1024 ** 4,
  P: 1e15, PB: 1e15, PIB: 1024 ** 5,
};

/** "19.564 KiB" -> 20033 (rounded); undefined when the text is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*([\d.,]+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = FACTORS[(m[2] || 'B').toUpperCase()];
  if (factor === undefined) return undefined;
  const digits = m[1]!;
  // "1,234,567" (thousands) vs "1,5" (decimal comma): a comma followed by exactly three digits groups.
  const normal = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(digits) ? digits.replace(/,/g, '') : digits.replace(',', '.');
  const n = Number(normal);
  return Number.isFinite(n) ? Math.round(n * factor) : undefined;
}

/** "0:05", "1:02:03", "12:34:56" -> seconds. */
export function parseClock(text: string): number | undefined {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
