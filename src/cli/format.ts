/** Small helpers for the CLI's plain-text output. */

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export function when(d: Date | null | undefined): string {
  return d ? d.toISOString().replace('T', ' ').slice(0, 16) + 'Z' : '-';
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
