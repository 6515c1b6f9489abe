import { describe, expect, it } from 'vitest';
import type { FailureDigest } from '../../src/reports/digest.ts';
import { emptyCounts, type NightlySummary, type ProblemRow } from '../../src/reports/summary.ts';
import { esc, toPlainText, type SlackMessage } from '../../src/slack/views/blocks.ts';
import { digestMessages } from '../../src/slack/views/digest.ts';
import { nightlyMessages } from '../../src/slack/views/nightly.ts';
import { failuresReply, helpReply, notFoundReply } from '../../src/slack/views/replies.ts';
import { blockKitProblems } from '../helpers/block-kit-limits.ts';

const now = new Date('2026-11-23T07:00:00Z');

function problem(i: number, extra: Partial<ProblemRow> = {}): ProblemRow {
  return {
    serverId: i,
    server: `srv${String(i).padStart(5, '0')}`,
    customer: `Customer ${String(i % 40).padStart(3, '0')}`,
    targetHost: 'custbak1',
    status: 'failed',
    code: 23,
    format: 'rsync',
    meaning: 'Partial transfer due to error',
    hint: 'Some files were not backed up. More text follows here.',
    reason: null,
    backupAt: now,
    lastSuccessAt: new Date(now.getTime() - 3 * 86400_000),
    failingPaths: [`/data/share/user${i}/Mailbox.pst`],
    fileErrorCount: 4,
    resultId: i,
    hasReport: true,
    okByExceptions: false,
    ack: null,
    pause: null,
    ...extra,
  };
}

function allText(messages: SlackMessage[]): string {
  return JSON.stringify(messages.map((m) => m.blocks));
}

describe('nightly summary view', () => {
  const summary = (problems: ProblemRow[]): NightlySummary => ({
    at: now,
    servers: 5000,
    counts: { ...emptyCounts(), ok: 5000 - problems.length, failed: problems.length, okByExceptions: 12 },
    problems,
    quiet: [],
  });

  it('splits 800 failures into messages Slack accepts, and drops none of them', () => {
    const problems = Array.from({ length: 800 }, (_, i) => problem(i));
    const messages = nightlyMessages(summary(problems), 'Europe/Oslo');
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(blockKitProblems(m.blocks, 'message')).toEqual([]);
    const text = allText(messages);
    for (const p of problems) expect(text).toContain(`\`${p.server}\``);
    expect(messages[1]!.text).toMatch(/part 2 of/);
  });

  it('puts the counts, including ok-only-thanks-to-exceptions, in the headline', () => {
    const [first] = nightlyMessages(summary([problem(1)]), 'UTC');
    const head = toPlainText([first!]);
    expect(head).toMatch(/4999\* ok \(12 only thanks to exceptions\)/);
    expect(head).toMatch(/1\* failed/);
    expect(head).toMatch(/last ok 3 days ago/);
  });

  it('never opens with an all-clear when there is no evidence: no servers, or none due yet', () => {
    const empty = toPlainText(nightlyMessages({ at: now, servers: 0, counts: emptyCounts(), problems: [], quiet: [] }, 'UTC'));
    expect(empty).toMatch(/No servers are monitored yet/);
    expect(empty).not.toMatch(/Every backup|🎉/);
    const waiting = problem(2, { status: 'waiting', code: null, meaning: 'Waiting for its first report' });
    const allNew = toPlainText(nightlyMessages({ at: now, servers: 1, counts: { ...emptyCounts(), waiting: 1 }, problems: [], quiet: [waiting] }, 'UTC'));
    expect(allNew).toMatch(/No backup was due yet/);
    expect(allNew).toMatch(/1\* waiting for a first report/);
    expect(allNew).not.toMatch(/Every backup|🎉/);
    const fine = toPlainText(nightlyMessages({ at: now, servers: 2, counts: { ...emptyCounts(), ok: 1, waiting: 1 }, problems: [], quiet: [waiting] }, 'UTC'));
    expect(fine).toMatch(/🎉 Every backup that was due completed \(1 not expected yet or paused\)/);
  });

  it('escapes names and paths so that nothing in a log can ping anyone', () => {
    const hostile = problem(1, { server: 'fs<!here>', customer: 'Evil <@U123> & Co', failingPaths: ['/x/<!channel>', '/y/<@U999>', '/z/<!subteam^S1>'] });
    const text = allText(nightlyMessages(summary([hostile]), 'UTC'));
    expect(text).not.toMatch(/<[!@#]/);
    expect(text).toContain(esc('/x/<!channel>'));
    expect(text).toContain('Evil &lt;@U123&gt; &amp; Co');
  });

  it('says so when everything is ok', () => {
    const messages = nightlyMessages(summary([]), 'UTC');
    expect(toPlainText(messages)).toMatch(/Every backup that was due completed/);
  });
});

describe('failure digest view', () => {
  it('lists servers with their streak of codes and days since the last success', () => {
    const d: FailureDigest = {
      at: now,
      minDays: 3,
      rows: [
        { serverId: 1, server: 'fs01', customer: 'Acorn', targetHost: null, lastSuccessAt: null, daysSinceSuccess: null, streak: [{ day: '2026-11-21', code: 23 }, { day: '2026-11-22', code: null }, { day: '2026-11-23', code: -2 }], status: 'incomplete', format: 'rsync', code: -2, meaning: 'No report arrived', hint: 'Re-run it.', resultId: 1, hasReport: false, fileErrorCount: 0, ack: null },
        { serverId: 2, server: 'fs02', customer: 'Acorn', targetHost: null, lastSuccessAt: new Date(now.getTime() - 4 * 86400_000), daysSinceSuccess: 4, streak: [{ day: '2026-11-23', code: 12 }], status: 'failed', format: 'rsync', code: 12, meaning: 'Error in the rsync protocol data stream', hint: 'Check the link.', resultId: 2, hasReport: true, fileErrorCount: 0, ack: null },
      ],
    };
    const messages = digestMessages(d, 'UTC');
    for (const m of messages) expect(blockKitProblems(m.blocks, 'message')).toEqual([]);
    const text = toPlainText(messages);
    expect(text.indexOf('fs01')).toBeLessThan(text.indexOf('fs02'));
    expect(text).toMatch(/never succeeded/);
    expect(text).toMatch(/4 days\* since the last good backup/);
    expect(text).toContain('23 · -2');
  });
});

describe('command replies', () => {
  it('keep a long failure list in one valid message and say how many were left out', () => {
    const m = failuresReply(Array.from({ length: 900 }, (_, i) => problem(i)), now);
    expect(blockKitProblems(m.blocks, 'message')).toEqual([]);
    expect(toPlainText([m])).toMatch(/…and \d+ more servers/);
  });

  it('suggest names for an unknown one, escaped', () => {
    const m = notFoundReply('<!channel>', ['fs01', 'fs02']);
    expect(JSON.stringify(m)).not.toContain('<!channel>');
    expect(toPlainText([m])).toMatch(/Did you mean `fs01`, `fs02`/);
  });

  it('help lists every subcommand and shows a usage error first', () => {
    const text = toPlainText([helpReply('DAYS must be between 1 and 365; you gave 999.')]);
    for (const sub of ['status', 'history', 'failures', 'help']) expect(text).toContain(`/backup ${sub}`);
    expect(text.startsWith('⚠️ DAYS must be')).toBe(true);
  });
});
