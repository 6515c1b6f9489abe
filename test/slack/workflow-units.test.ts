import { describe, expect, it } from 'vitest';
import { suggestPattern } from '../../src/exceptions/workflow.ts';
import { wantedIncidents } from '../../src/escalation/incidents.ts';
import { describeChanges } from '../../src/reports/reparse.ts';
import type { ServerStatus } from '../../src/reports/status.ts';
import { encodeServerRef, parseServerRef } from '../../src/slack/action-ids.ts';
import { markBlock } from '../../src/slack/messages.ts';
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

describe('marking a server in a posted message', () => {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'x' } },
    serverSection({ serverId: 7, resultId: 70, status: 'failed', hasReport: true, fileErrorCount: 2, ack: null }, 'fs07 failed'),
    serverSection({ serverId: 8, resultId: 80, status: 'failed', hasReport: true, fileErrorCount: 0, ack: null }, 'fs08 failed'),
  ];

  it('adds an acknowledgement, drops only the Acknowledge item, and leaves other servers alone', () => {
    const next = markBlock(blocks, 7, ':eyes: Acknowledged by <@U1>', false)!;
    const b = next[1] as Extract<Block, { type: 'section' }>;
    expect(b.text.text).toMatch(/fs07 failed\n:bookmark: :eyes: Acknowledged by <@U1>$/);
    expect(b.accessory?.type === 'overflow' && b.accessory.options.map((o) => o.value.split(':')[1])).toEqual(['exception', 'reparse', 'details']);
    expect(next[2]).toEqual(blocks[2]);
  });

  it('replaces an earlier mark, drops the menu once the server is ok, and says when it found nothing', () => {
    const once = markBlock(blocks, 7, 'first', false)!;
    const twice = markBlock(once, 7, ':white_check_mark: now *ok*', true)!;
    const b = twice[1] as Extract<Block, { type: 'section' }>;
    expect(b.text.text).not.toContain('first');
    expect(b.accessory).toBeUndefined();
    expect(markBlock(blocks, 99, 'x', false)).toBeNull();
  });
});

describe('TSR3 incidents', () => {
  const s = (id: number, target: string | null, status: string, code: number): ServerStatus =>
    ({
      server: { id, name: `s${id}`, customerName: 'C', targetHost: target },
      latest: { status, code },
      lastSuccessAt: null,
    }) as unknown as ServerStatus;

  it('groups a target with enough failures into one incident, and flags TSR3-only codes elsewhere', () => {
    const wanted = wantedIncidents(
      [s(1, 'custbak1', 'failed', 12), s(2, 'CUSTBAK1', 'missing', -2), s(3, 'custbak1', 'failed', 10), s(4, 'custbak2', 'failed', 35), s(5, 'custbak2', 'failed', 23), s(6, 'custbak3', 'ok', 0)],
      3,
    );
    expect(wanted.map((w) => [w.key, w.serverIds])).toEqual([
      ['target:custbak1', [1, 2, 3]],
      ['server:4', [4]],
    ]);
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
