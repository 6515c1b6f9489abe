import { describe, expect, it } from 'vitest';
import { suggestPattern } from '../../src/exceptions/workflow.ts';
import { wantedIncidents } from '../../src/escalation/incidents.ts';
import { describeChanges } from '../../src/reports/reparse.ts';
import type { ServerStatus } from '../../src/reports/status.ts';
import { encodeServerRef, parseServerRef } from '../../src/slack/action-ids.ts';
import { replaceServerBlock } from '../../src/slack/messages.ts';
import { recount } from '../../src/slack/views/nightly.ts';
import { approverCheck } from '../../src/slack/permissions.ts';
import type { Block } from '../../src/slack/views/blocks.ts';
import { serverSection } from '../../src/slack/views/server-block.ts';

describe('button values', () => {
  it('round-trip, and anything else is refused', () => {
    const ref = { action: 'ack' as const, serverId: 42, resultId: 9001 };
    expect(parseServerRef(encodeServerRef(ref))).toEqual(ref);
    for (const bad of ['', 'v1:drop:1:2', 'v2:ack:1:2', 'v1:ack:x:2', 'v1:ack:1:2:3']) expect(parseServerRef(bad)).toBeNull();
  });
});

describe('suggested exception pattern', () => {
  it('prefers the shared extension, else the first file name', () => {
    expect(suggestPattern(['/m/Outlook.PST', '/m/archive.pst', '/m/notes.txt'])).toBe('*.pst');
    expect(suggestPattern(['/q/Company.qbw'])).toBe('*.qbw');
    expect(suggestPattern(['/a/LOCKFILE', '/b/other'])).toBe('LOCKFILE');
  });
});

describe('re-rendering a server in a posted message', () => {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'x' } },
    serverSection({ serverId: 7, resultId: 70, status: 'failed', hasReport: true, fileErrorCount: 2, ack: null }, 'fs07 failed'),
    serverSection({ serverId: 8, resultId: 80, status: 'failed', hasReport: true, fileErrorCount: 0, ack: null }, 'fs08 failed'),
  ];

  it('replaces only that server\'s block, and says when the message does not show it', () => {
    const fresh = serverSection({ serverId: 7, resultId: 71, status: 'ok', hasReport: true, fileErrorCount: 0, ack: null }, 'fs07 ok');
    const next = replaceServerBlock(blocks, 7, fresh)!;
    expect(next[1]).toEqual(fresh);
    expect(next[2]).toEqual(blocks[2]);
    expect(replaceServerBlock(blocks, 99, fresh)).toBeNull();
  });

  it('moves a listed server between the headline counts, once, with its exception and acknowledgement flags', () => {
    const meta = { kind: 'nightly' as const, servers: 10, counts: { ok: 7, failed: 3, okByExceptions: 1, acknowledged: 1 }, states: { '7': 'failed+ack', '8': 'failed' } };
    const after = recount(meta, 7, { status: 'ok', okByExceptions: true, ack: null });
    expect(after.counts).toEqual({ ok: 8, failed: 2, okByExceptions: 2, acknowledged: 0 });
    expect(recount(after, 7, { status: 'ok', okByExceptions: true, ack: null })).toBe(after);
    // A server the summary did not list was ok when it was posted.
    expect(recount(meta, 9, { status: 'failed', okByExceptions: false, ack: null }).counts).toMatchObject({ ok: 6, failed: 4 });
  });
});

describe('TSR3 incidents', () => {
  const s = (id: number, target: string | null, status: string, code: number): ServerStatus =>
    ({
      server: { id, name: `s${id}`, customerName: 'C', targetHost: target },
      latest: { status, code, format: 'rsync' },
      lastSuccessAt: null,
      state: status,
    }) as unknown as ServerStatus;

  it('groups a target with enough connection failures into one incident naming the codes, and flags such codes elsewhere', () => {
    const wanted = wantedIncidents(
      [s(1, 'custbak1', 'failed', 12), s(7, 'custbak1', 'failed', 30), s(3, 'custbak1', 'failed', 10), s(4, 'custbak2', 'failed', 35), s(5, 'custbak2', 'failed', 23), s(6, 'custbak3', 'ok', 0)],
      3,
    );
    expect(wanted.map((w) => [w.key, w.serverIds])).toEqual([
      ['target:custbak1', [1, 3, 7]],
      ['server:4', [4]],
    ]);
    expect(wanted[0]!.title).toMatch(/\(rsync 10, rsync 12, rsync 30\)/);
  });

  it('never pages TSR3 for customer-side problems: missing reports, file errors, usage errors, unproven runs, paused servers', () => {
    // The five servers of the report that wrongly paged TSR3, plus a paused one with a connection failure.
    const customerSide = [s(1, 'custbak2', 'failed', 23), s(2, 'custbak2', 'incomplete', -2), s(3, 'custbak2', 'incomplete', -2), s(4, 'custbak2', 'missing', -2), s(5, 'custbak2', 'failed', 1)];
    const paused = { ...s(6, 'custbak2', 'failed', 10), state: 'paused' } as ServerStatus;
    expect(wantedIncidents([...customerSide, paused], 3)).toEqual([]);
    // One refused connection on its own is still worth a ping, but not as "the target is down".
    expect(wantedIncidents([...customerSide, s(7, 'custbak2', 'failed', 10)], 3).map((w) => w.key)).toEqual(['server:7']);
  });
});

describe('reparse summary', () => {
  it('counts transitions, most common first', () => {
    const change = (from: string, to: string) => ({ reportId: 1, serverId: 1, resultId: 1, from: { status: from, code: 23 }, to: { status: to, code: 23 } });
    expect(describeChanges({ total: 10, changed: [change('failed', 'ok'), change('failed', 'ok'), change('incomplete', 'failed')] })).toBe(
      '3 of 10 results changed: failed → ok (2), incomplete → failed (1).',
    );
    expect(describeChanges({ total: 4, changed: [] })).toBe('Reparsed 4 reports; no verdict changed.');
  });
});

describe('approvers', () => {
  it('reads a list of user ids, and refuses everyone when unset', async () => {
    const list = approverCheck('U1, U2', null);
    expect(await list.isApprover('U2')).toBe(true);
    expect(await list.isApprover('U3')).toBe(false);
    const none = approverCheck(undefined, null);
    expect(await none.isApprover('U1')).toBe(false);
    expect(none.refusal).toMatch(/SLACK_APPROVER_GROUP/);
  });
});
