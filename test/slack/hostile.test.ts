import { describe, expect, it } from 'vitest';
import type { ExceptionRow } from '../../src/exceptions/store.ts';
import type { ServerWithCustomer } from '../../src/fleet/servers.ts';
import type { ResultRow } from '../../src/reports/results.ts';
import { emptyCounts, type ServerRow } from '../../src/reports/summary.ts';
import { auditReply, exceptionsReply, reparseDone, reparseProgress } from '../../src/slack/views/admin.ts';
import { toPlainText, type SlackMessage } from '../../src/slack/views/blocks.ts';
import { digestMessages } from '../../src/slack/views/digest.ts';
import { homeView } from '../../src/slack/views/home.ts';
import { ackModal, approvalMessage, detailsModal, exceptionModal } from '../../src/slack/views/modals.ts';
import { nightlyMessages, problemLine } from '../../src/slack/views/nightly.ts';
import {
  ambiguousReply,
  customerReply,
  failuresReply,
  fleetOverview,
  helpReply,
  historyReply,
  notFoundReply,
  pausedReply,
  serverReply,
} from '../../src/slack/views/replies.ts';
import { blockKitProblems } from '../helpers/block-kit-limits.ts';

/** Every string a log, a pattern or a user can put into a message, at its most hostile. */
const EVIL = '<!channel> <!here|x> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL> *bold* _it_ ~x~ `tick` &amp; <https://evil.example|click>';
const now = new Date('2026-11-23T07:00:00Z');

const row = (over: Partial<ServerRow> = {}): ServerRow => ({
  serverId: 1,
  server: `fs ${EVIL}`,
  customer: `Cust ${EVIL}`,
  targetHost: `bak ${EVIL}`,
  status: 'failed',
  code: 23,
  format: 'rsync',
  meaning: `Partial ${EVIL}`,
  hint: `Do ${EVIL}.`,
  reason: `Because ${EVIL}`,
  backupAt: now,
  lastSuccessAt: null,
  failingPaths: [`/srv/${EVIL}`],
  fileErrorCount: 3,
  okByExceptions: false,
  resultId: 10,
  hasReport: true,
  ack: { userId: `U1 ${EVIL}`, note: `note ${EVIL}`, at: now },
  pause: { reason: `paused ${EVIL}`, until: null, by: `cli:${EVIL}` },
  ...over,
});

const server = { id: 1, name: `fs ${EVIL}`, customerName: `Cust ${EVIL}`, targetHost: `bak ${EVIL}`, scheduleCron: '0 22 * * *', timezone: 'UTC', graceMinutes: 240, removedAt: null } as unknown as ServerWithCustomer;
const exception = {
  id: 5,
  pattern: `*${EVIL}*.pst`,
  scope: 'server',
  serverId: 1,
  customerId: null,
  reason: `reason ${EVIL}`,
  state: 'pending',
  createdBy: `U2${EVIL}`,
  approvedBy: `U3 ${EVIL}`,
  expiresAt: null,
} as unknown as ExceptionRow;
const latest = { id: 10, reportId: 3, backupAt: now, code: 23, status: 'failed', format: 'rsync', meaning: `m ${EVIL}`, reason: `r ${EVIL}`, fileErrorCount: 1, exceptedCount: 0 } as unknown as ResultRow;

/** Every kind of message and view backupbot sends, built with hostile text everywhere. */
type Sent = { blocks: unknown; text?: string; type?: string };
function everyMessage(): Array<[string, Sent]> {
  const names = new Map([[1, `fs ${EVIL}`]]);
  const customers = new Map([[1, `Cust ${EVIL}`]]);
  const paused = row({ status: 'paused', code: null });
  const list: Array<[string, Sent]> = [
    ...nightlyMessages({ at: now, servers: 3, counts: { ...emptyCounts(), failed: 1, paused: 1, ok: 1 }, problems: [row()], quiet: [paused] }, 'UTC').map((m, i) => [`nightly ${i}`, m] as [string, SlackMessage]),
    ...digestMessages(
      { at: now, minDays: 3, rows: [{ ...row(), daysSinceSuccess: 4, streak: [{ day: '2026-11-22', code: 23 }], ack: null }, { ...row({ serverId: 2 }), daysSinceSuccess: null, streak: [], ack: row().ack }] },
      'UTC',
    ).map((m, i) => [`digest ${i}`, m] as [string, SlackMessage]),
    ['overview', fleetOverview({ ...emptyCounts(), failed: 1 }, [row()], now)],
    ['server', serverReply({ server, row: row(), latest, fileErrors: [{ path: `/x/${EVIL}`, kind: 'open', excepted: false }] }, now, 'UTC', `guess ${EVIL}`)],
    ['customer', customerReply(`Cust ${EVIL}`, [{ server: `fs ${EVIL}`, status: 'failed', code: 23, format: 'rsync', backupAt: now }], 'UTC', EVIL)],
    ['history', historyReply(server, [{ day: '2026-11-22', results: [{ code: 23, status: 'failed' }] }], EVIL)],
    ['failures', failuresReply([row()], now)],
    ['not found', notFoundReply(EVIL, [`fs ${EVIL}`])],
    ['ambiguous', ambiguousReply(`More than one ${EVIL}`)],
    ['paused', pausedReply(`fs ${EVIL}`, now, `reason ${EVIL}`)],
    ['resumed', pausedReply(`fs ${EVIL}`, null, null)],
    ['help', helpReply(`bad ${EVIL}`)],
    ['exceptions', exceptionsReply([exception], names, customers, 'UTC', { forServer: `fs ${EVIL}`, canRemove: true })],
    ['audit', auditReply([{ id: 1, at: now, actor: `U9${EVIL}`, action: 'exception.approve', serverId: 1, details: { pattern: exception.pattern } }], names, 'UTC', `fs ${EVIL}`)],
    ['reparse progress', reparseProgress(`fs ${EVIL}`, 1, 2, 0)],
    ['reparse done', reparseDone(`fs ${EVIL}`, `summary ${EVIL}`)],
    ['approval', approvalMessage({ exception, scopeLabel: `server \`x\``, paths: [`/p/${EVIL}`], tz: 'UTC' })],
    ['approval decided', approvalMessage({ exception, scopeLabel: `server \`x\``, paths: [], tz: 'UTC', decided: { by: 'U3', approved: true, summary: `sum ${EVIL}` } })],
    ['home', homeView({ ...emptyCounts(), failed: 1 }, [row({ ack: null })], [exception], now)],
    ['ack modal', ackModal(`fs ${EVIL}`, 23, '{}')],
    ['exception modal', exceptionModal(`fs ${EVIL}`, [`/p/${EVIL}`], `*${EVIL}`, '{}')],
    [
      'details modal',
      detailsModal(
        { server: `fs ${EVIL}`, customer: `C ${EVIL}`, targetHost: EVIL, schedule: '0 22 * * *', timezone: 'UTC', graceMinutes: 1, status: 'failed', code: 23, meaning: EVIL, backupAt: now, lastSuccessAt: null, strip: [], fileErrors: [{ path: EVIL, kind: 'open', excepted: false }], fileErrorCount: 1, excerpt: `line ${EVIL}`, reportId: 3, ack: row().ack },
        now,
        'UTC',
        '{}',
      ),
    ],
  ];
  return list;
}

/** All text Slack reads as markup: every mrkdwn text object, and the fallback text. (plain_text is shown as typed.) */
function markup(m: { text?: string; blocks: unknown }): string[] {
  const out: string[] = typeof m.text === 'string' ? [m.text] : [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(m.blocks);
  return out;
}

describe('hostile text in every message kind', () => {
  it.each(everyMessage())('%s pings nobody, links nowhere, and stays valid Block Kit', (_name, m) => {
    for (const text of markup(m)) {
      // The only live mentions backupbot writes are of real Slack user ids it was given (none here).
      expect(text).not.toMatch(/<[!@#]/);
      expect(text).not.toMatch(/<https?:/);
    }
    expect(markup(m).length).toBeGreaterThan(0);
    const surface = m.type === 'modal' ? 'modal' : m.type === 'home' ? 'home' : 'message';
    expect(blockKitProblems(m.blocks as never, surface)).toEqual([]);
  });

  it('keeps * and _ in names and patterns from turning the rest of the line bold or italic', () => {
    const line = problemLine(row(), now);
    // Every hostile string sits inside inline code, where Slack applies no formatting.
    expect(line).toContain('`fs &lt;!channel&gt;');
    const text = toPlainText(everyMessage().filter(([n]) => n === 'exceptions').map(([, m]) => m as SlackMessage));
    expect(text).toContain("`*<!channel> <!here|x> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL> *bold* _it_ ~x~ 'tick' &amp; <https://evil.example|click>*.pst`");
  });
});
