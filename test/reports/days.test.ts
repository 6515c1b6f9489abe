import { describe, expect, it } from 'vitest';
import { currentResults, resultsByDay } from '../../src/reports/status.ts';

describe('day strip', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const night = new Date('2026-11-23T01:00:00Z');

  it('shows a day as ok once a reparse (a newer result for the same report) turned it ok', () => {
    // As the history query returns them: newest first.
    const rows = [
      { id: 12, reportId: 7, backupAt: night, status: 'ok', code: 23 },
      { id: 11, reportId: 7, backupAt: night, status: 'failed', code: 23 },
    ];
    const [today] = resultsByDay(rows, now, 1, 'UTC');
    expect(today!.results).toEqual([{ status: 'ok', code: 23 }]);
  });

  it('keeps separate reports of one day in time order, and missed slots as they are', () => {
    const rows = [
      { id: 3, reportId: null, backupAt: new Date('2026-11-22T22:00:00Z'), status: 'missing', code: -2 },
      { id: 5, reportId: 9, backupAt: new Date('2026-11-23T03:00:00Z'), status: 'ok', code: 0 },
      { id: 4, reportId: 8, backupAt: new Date('2026-11-23T02:00:00Z'), status: 'failed', code: 12 },
    ];
    expect(currentResults(rows).map((r) => r.id)).toEqual([3, 4, 5]);
  });
});
