import { describe, expect, it } from 'vitest';
import { dueSlot, serverState, type ScheduledServer } from '../../src/fleet/state.ts';

const at = (iso: string) => new Date(iso);
const daily = (over: Partial<ScheduledServer> = {}): ScheduledServer => ({
  scheduleCron: '0 22 * * *',
  timezone: 'UTC',
  graceMinutes: 240,
  createdAt: at('2026-11-01T10:00:00Z'),
  pausedAt: null,
  pausedUntil: null,
  ...over,
});
const result = (status: string, iso: string) => ({ status, backupAt: at(iso) });

describe('a server\'s state, from its schedule', () => {
  it('is "waiting" for a server added today with no report, until its first slot and grace pass, then "missing"', () => {
    const fresh = daily({ createdAt: at('2026-11-23T09:00:00Z') });
    expect(serverState(fresh, null, at('2026-11-23T09:01:00Z'))).toBe('waiting');
    expect(serverState(fresh, null, at('2026-11-24T01:59:00Z'))).toBe('waiting'); // 22:00 + 4 h grace not over yet
    expect(serverState(fresh, null, at('2026-11-24T02:01:00Z'))).toBe('missing');
  });

  it('keeps a weekly server ok all week after its Saturday backup, and only then expects the next one', () => {
    const weekly = daily({ scheduleCron: '0 22 * * 6' });
    const saturday = result('ok', '2026-11-21T23:10:00Z');
    expect(serverState(weekly, saturday, at('2026-11-23T07:00:00Z'))).toBe('ok'); // Monday morning: 33 h later
    expect(serverState(weekly, saturday, at('2026-11-28T23:00:00Z'))).toBe('ok'); // next Saturday, inside grace
    expect(serverState(weekly, saturday, at('2026-11-29T02:01:00Z'))).toBe('missing');
  });

  it('is "missing" when the last report is older than the slot that is due, whatever it said', () => {
    const s = daily();
    expect(serverState(s, result('ok', '2026-11-21T22:30:00Z'), at('2026-11-23T07:00:00Z'))).toBe('missing');
    expect(serverState(s, result('failed', '2026-11-22T22:30:00Z'), at('2026-11-23T07:00:00Z'))).toBe('failed');
  });

  it('counts a backup that started a little early for its own slot', () => {
    expect(serverState(daily(), result('ok', '2026-11-22T21:55:00Z'), at('2026-11-23T07:00:00Z'))).toBe('ok');
    const due = dueSlot(daily(), at('2026-11-23T07:00:00Z'))!;
    expect(due.slot.toISOString()).toBe('2026-11-22T22:00:00.000Z');
    expect(due.from.toISOString()).toBe('2026-11-22T10:00:00.000Z');
  });

  it('is "paused" while paused, and after the pause does not count the slots inside it as missing', () => {
    const paused = daily({ pausedAt: at('2026-11-10T00:00:00Z'), pausedUntil: null });
    expect(serverState(paused, result('ok', '2026-11-09T22:10:00Z'), at('2026-11-23T07:00:00Z'))).toBe('paused');
    const resumed = daily({ pausedAt: at('2026-11-10T00:00:00Z'), pausedUntil: at('2026-11-23T06:00:00Z') });
    // Resumed this morning: last night's slot fell inside the pause, so nothing is owed yet.
    expect(serverState(resumed, result('ok', '2026-11-09T22:10:00Z'), at('2026-11-23T07:00:00Z'))).toBe('ok');
    expect(serverState(resumed, result('ok', '2026-11-09T22:10:00Z'), at('2026-11-24T02:01:00Z'))).toBe('missing');
    const limited = daily({ pausedAt: at('2026-11-10T00:00:00Z'), pausedUntil: at('2026-12-01T00:00:00Z') });
    expect(serverState(limited, null, at('2026-11-30T12:00:00Z'))).toBe('paused');
  });

  it('shows a recorded missed slot as missing, and a late report for it as what the report says', () => {
    expect(serverState(daily(), result('missing', '2026-11-22T22:00:00Z'), at('2026-11-23T07:00:00Z'))).toBe('missing');
    expect(serverState(daily(), result('incomplete', '2026-11-23T06:30:00Z'), at('2026-11-23T07:00:00Z'))).toBe('incomplete');
  });
});
