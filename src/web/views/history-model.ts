import { codeLabel } from '../../parsers/index.ts';
import type { HistoryCell, HistoryData, HistoryServer } from '../history-query.ts';

/**
 * What a heatmap cell can say. Each has a colour from the Okabe–Ito palette (safe for the
 * common kinds of colour blindness), a pattern and a glyph, so no state is told by colour alone.
 */
export const CELL_KINDS = {
  ok: { cls: 'o', label: 'ok', glyph: '' },
  exc: { cls: 'e', label: 'ok by exceptions', glyph: '·' },
  failed: { cls: 'f', label: 'failed', glyph: '×' },
  incomplete: { cls: 'i', label: 'incomplete', glyph: '!' },
  missing: { cls: 'm', label: 'missing', glyph: '?' },
  ack: { cls: 'a', label: 'acknowledged', glyph: '✓' },
  paused: { cls: 'p', label: 'paused', glyph: '‖' },
  none: { cls: 'n', label: 'no report', glyph: '' },
} as const;
export type CellKind = keyof typeof CELL_KINDS;

/** The state filter's values, in legend order. */
export const STATE_FILTERS = ['ok', 'ok-exceptions', 'failed', 'incomplete', 'missing', 'suspect', 'acknowledged', 'paused'] as const;

export interface GridCell {
  kind: CellKind | 'blank';
  /** First day of the cell (YYYY-MM-DD). */
  day: string;
  /** The result's day when it differs (year view: the worst day of the week). */
  resultDay?: string;
  title: string;
}

export interface GridRow {
  server: HistoryServer;
  /** The name to use in links: "SERVER", or "CUSTOMER/SERVER" when the name is not unique. */
  linkName: string;
  cells: GridCell[];
}

export interface CustomerGroup {
  customer: string;
  rows: GridRow[];
}

/** Adds `n` days to a YYYY-MM-DD date. Pure. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function kindOf(c: HistoryCell, acked: boolean): CellKind {
  if (acked) return 'ack';
  if (c.status === 'ok') return c.okByExceptions ? 'exc' : 'ok';
  if (c.status === 'incomplete') return 'incomplete';
  if (c.status === 'missing') return 'missing';
  return 'failed';
}

function describe(c: HistoryCell, kind: CellKind): string {
  const state = kind === 'exc' ? 'ok by exceptions' : kind === 'ack' ? `${c.status}, acknowledged` : c.status;
  const codePart = c.status === 'missing' ? '' : ` · ${codeLabel(c.format, c.code)}`;
  return `${c.day}: ${state}${codePart} · ${c.meaning}`;
}

/**
 * Lays the query's cells out as one row per server (grouped by customer), with a cell for
 * every bucket of the window: blank before the server's first result and after `today`,
 * "no report" on days with no result, "paused" on such days inside its current pause. An
 * acknowledgement marks its failure, and the same failure on later days, until the status
 * or code changes. Pure.
 */
export function historyGrid(data: HistoryData, window: { from: string; buckets: number; bucketDays: 1 | 7 }, today: string): CustomerGroup[] {
  const byServer = new Map<number, HistoryCell[]>();
  for (const c of data.cells) {
    const list = byServer.get(c.serverId) ?? [];
    list.push(c);
    byServer.set(c.serverId, list);
  }
  const acksBy = new Map<number, typeof data.acks>();
  for (const a of data.acks) acksBy.set(a.serverId, [...(acksBy.get(a.serverId) ?? []), a]);
  const nameCount = new Map<string, number>();
  for (const s of data.servers) nameCount.set(s.name.toLowerCase(), (nameCount.get(s.name.toLowerCase()) ?? 0) + 1);

  // Computed once: a page can hold 60,000 cells.
  const starts = Array.from({ length: window.buckets }, (_, i) => addDays(window.from, i * window.bucketDays));
  const ends = starts.map((d) => addDays(d, window.bucketDays - 1));
  const prefix = window.bucketDays === 7 ? 'Week of ' : '';
  const groups: CustomerGroup[] = [];
  for (const server of data.servers) {
    const removed = server.removedAt ? server.removedAt.toISOString().slice(0, 10) : null;
    const pausedFrom = server.pausedAt ? server.pausedAt.toISOString().slice(0, 10) : null;
    const pausedTo = server.pausedUntil ? server.pausedUntil.toISOString().slice(0, 10) : null;
    const cells = (byServer.get(server.id) ?? []).sort((a, b) => a.idx - b.idx);
    const at = new Map(cells.map((c) => [c.idx, c]));
    const acked = ackedResults(cells, acksBy.get(server.id) ?? []);
    const row: GridCell[] = [];
    for (let i = 0; i < window.buckets; i++) {
      const day = starts[i]!;
      const lastDay = ends[i]!;
      const c = at.get(i);
      if (c) {
        const kind = kindOf(c, acked.has(c.resultId));
        row.push({ kind, day, ...(c.day !== day ? { resultDay: c.day } : {}), title: describe(c, kind) });
      } else if (!server.firstDay || lastDay < server.firstDay || day > today || (removed && day > removed)) {
        row.push({ kind: 'blank', day, title: '' });
      } else if (pausedFrom && day >= pausedFrom && (!pausedTo || day < pausedTo)) {
        row.push({ kind: 'paused', day, title: `${prefix}${day}: paused` });
      } else {
        row.push({ kind: 'none', day, title: `${prefix}${day}: no report recorded` });
      }
    }
    const linkName = (nameCount.get(server.name.toLowerCase()) ?? 0) > 1 ? `${server.customer}/${server.name}` : server.name;
    const last = groups[groups.length - 1];
    const gridRow = { server, linkName, cells: row };
    if (last && last.customer === server.customer) last.rows.push(gridRow);
    else groups.push({ customer: server.customer, rows: [gridRow] });
  }
  return groups;
}

/** Result ids covered by an acknowledgement: its own failure and the same failure after it, until something else arrives. */
function ackedResults(cells: HistoryCell[], acks: HistoryData['acks']): Set<number> {
  const out = new Set<number>();
  for (const a of acks) {
    for (const c of cells) {
      if (c.resultId < a.resultId) continue;
      if (c.status !== a.status || c.code !== a.code) break;
      out.add(c.resultId);
    }
  }
  return out;
}
