import { describe, expect, it } from 'vitest';
import { serverState, STATE_SEVERITY, type ScheduledServer } from '../../src/fleet/state.ts';
import { countByStatus, PROBLEM_STATES } from '../../src/reports/summary.ts';
import type { ServerStatus } from '../../src/reports/status.ts';

const server: ScheduledServer = { scheduleCron: '0 22 * * *', timezone: 'UTC', graceMinutes: 240, createdAt: new Date('2026-11-01T10:00:00Z'), pausedAt: null, pausedUntil: null };

describe('suspect as a server state', () => {
  it('is the state of a server whose latest report is suspect, and still becomes missing when the next slot passes', () => {
    const latest = { status: 'suspect', backupAt: new Date('2026-11-22T22:40:00Z') };
    expect(serverState(server, latest, new Date('2026-11-23T07:00:00Z'))).toBe('suspect');
    expect(serverState(server, latest, new Date('2026-11-24T02:01:00Z'))).toBe('missing');
  });

  it('sorts right after failed, needs attention, and is counted on its own, never as ok', () => {
    const order = Object.entries(STATE_SEVERITY).sort((a, b) => a[1] - b[1]).map(([s]) => s);
    expect(order.slice(0, 3)).toEqual(['failed', 'suspect', 'incomplete']);
    expect(PROBLEM_STATES).toContain('suspect');
    const fleet = ['ok', 'suspect', 'suspect', 'failed'].map((state) => ({ state, latest: null }) as unknown as ServerStatus);
    expect(countByStatus(fleet)).toMatchObject({ ok: 1, suspect: 2, failed: 1 });
  });
});
