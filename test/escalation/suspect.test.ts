import { describe, expect, it } from 'vitest';
import { wantedIncidents } from '../../src/escalation/incidents.ts';
import type { ServerStatus } from '../../src/reports/status.ts';

const s = (id: number, target: string | null, status: string, code: number, format = 'tsm'): ServerStatus =>
  ({
    server: { id, name: `s${id}`, customerName: 'C', targetHost: target },
    latest: { status, code, format },
    lastSuccessAt: null,
    state: status,
  }) as unknown as ServerStatus;

describe('TSR3 and suspect runs', () => {
  it('does not page for one suspect server: that is for the support team', () => {
    expect(wantedIncidents([s(1, 'custbak1', 'suspect', 0), s(2, 'custbak1', 'ok', 0)], 3)).toEqual([]);
  });

  it('pages once when enough servers of one target went suspect the same night (the Safespring pattern)', () => {
    const wanted = wantedIncidents([s(1, 'custbak1', 'suspect', 0), s(2, 'custbak1', 'suspect', 0), s(3, 'custbak1', 'suspect', 0), s(4, 'custbak2', 'suspect', 0)], 3);
    expect(wanted.map((w) => [w.key, w.serverIds])).toEqual([['target:custbak1', [1, 2, 3]]]);
    expect(wanted[0]!.title).toBe('Backup target custbak1 may be overloaded: 3 servers finished cleanly but did far less than usual (suspect)');
  });

  it('counts suspect servers together with target-side failures towards the threshold', () => {
    const wanted = wantedIncidents([s(1, 'custbak1', 'suspect', 0), s(2, 'custbak1', 'failed', 10, 'rsync'), s(3, 'custbak1', 'suspect', 0)], 3);
    expect(wanted.map((w) => w.key)).toEqual(['target:custbak1']);
    expect(wanted[0]!.title).toBe('Backup target custbak1 may be overloaded: 2 servers finished cleanly but did far less than usual (suspect), and 1 could not reach it or lost the connection (rsync 10)');
  });
});
