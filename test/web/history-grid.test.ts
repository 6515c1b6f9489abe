import { describe, expect, it } from 'vitest';
import type { HistoryCell, HistoryData, HistoryServer } from '../../src/web/history-query.ts';
import { historyPage } from '../../src/web/views/history.ts';
import { addDays, historyGrid } from '../../src/web/views/history-model.ts';

const server = (over: Partial<HistoryServer> = {}): HistoryServer => ({
  id: 1,
  name: 'fs01',
  customer: 'Acorn',
  targetHost: 'custbak1',
  firstDay: '2026-10-02',
  pausedAt: null,
  pausedUntil: null,
  removedAt: null,
  ...over,
});
let nextId = 1;
const cell = (idx: number, status: string, code: number, over: Partial<HistoryCell> = {}): HistoryCell => ({
  serverId: 1,
  idx,
  day: addDays('2026-10-01', idx),
  resultId: nextId++,
  status,
  code,
  format: 'rsync',
  meaning: status === 'ok' ? 'Success' : 'Partial transfer due to error',
  okByExceptions: false,
  ...over,
});
const data = (servers: HistoryServer[], cells: HistoryCell[], acks: HistoryData['acks'] = []): HistoryData => ({ servers, total: servers.length, cells, acks, customers: [], targets: [] });
const month = { from: '2026-10-01', buckets: 31, bucketDays: 1 as const };

describe('history grid (pure)', () => {
  it('is blank before the first result and after today, "no report" on empty days in between', () => {
    const [g] = historyGrid(data([server()], [cell(1, 'ok', 0), cell(3, 'ok', 0)]), month, '2026-10-05');
    const kinds = g!.rows[0]!.cells.map((c) => c.kind);
    expect(kinds.slice(0, 6)).toEqual(['blank', 'ok', 'none', 'ok', 'none', 'blank']);
    expect(kinds).toHaveLength(31);
  });

  it('marks an acknowledged failure and the same failure after it, until the code changes', () => {
    const cells = [cell(1, 'failed', 23), cell(2, 'failed', 23), cell(3, 'failed', 23), cell(4, 'failed', 12), cell(5, 'failed', 23)];
    const [g] = historyGrid(data([server()], cells, [{ serverId: 1, resultId: cells[1]!.resultId, status: 'failed', code: 23 }]), month, '2026-10-31');
    expect(g!.rows[0]!.cells.slice(1, 6).map((c) => c.kind)).toEqual(['failed', 'ack', 'ack', 'failed', 'failed']);
  });

  it('shows ok by exceptions, incomplete and missing apart, and paused days while a pause lasts', () => {
    const cells = [cell(1, 'ok', 23, { okByExceptions: true }), cell(2, 'incomplete', -2), cell(3, 'missing', -2)];
    const paused = server({ pausedAt: new Date('2026-10-05T10:00:00Z'), pausedUntil: new Date('2026-10-07T00:00:00Z') });
    const [g] = historyGrid(data([paused], cells), month, '2026-10-31');
    expect(g!.rows[0]!.cells.slice(1, 8).map((c) => c.kind)).toEqual(['exc', 'incomplete', 'missing', 'paused', 'paused', 'none', 'none']);
    // A missing day has no code to show, only what it means.
    expect(g!.rows[0]!.cells[3]!.title).toBe('2026-10-04: missing · Partial transfer due to error');
    expect(g!.rows[0]!.cells[1]!.title).toBe('2026-10-02: ok by exceptions · rsync 23 · Success');
  });

  it('links by CUSTOMER/NAME only when two customers share the name, and escapes what it shows', () => {
    const a = server({ id: 1, name: 'dc<01>', customer: 'A' });
    const b = server({ id: 2, name: 'DC<01>', customer: 'B"' });
    const groups = historyGrid(data([a, b], [cell(1, 'ok', 0, { serverId: 1, meaning: '<img src=x>' })]), month, '2026-10-31');
    expect(groups.map((g) => g.rows[0]!.linkName)).toEqual(['A/dc<01>', 'B"/DC<01>']);
    const page = historyPage({
      groups,
      windowLabel: 'October 2026',
      axis: [],
      filters: {},
      customers: ['B"'],
      targets: [],
      total: 2,
      page: 1,
      pages: 1,
      links: { prevWindow: null, nextWindow: null, zoom: { label: 'Year', href: '/reports/history?year=2026' }, prevPage: null, nextPage: null },
    }).value;
    expect(page).toContain('href="/servers/A%2Fdc%3C01%3E?day=2026-10-02"');
    expect(page).toContain('&lt;img src=x&gt;');
    expect(page).not.toMatch(/<img|dc<01>|"B""/);
  });
});
