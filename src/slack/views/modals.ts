import type { View } from '@slack/web-api';
import type { ExceptionRow } from '../../exceptions/store.ts';
import type { AckInfo } from '../../reports/summary.ts';
import { ACTION, encodeExceptionRef, encodeReportRef, VIEW } from '../action-ids.ts';
import { actions, button, code, context, esc, header, LIMITS, plain, section, truncate, type Block } from './blocks.ts';
import { ago, icon, when } from './format.ts';
import { ackLine, mention } from './server-block.ts';
import { codeLabel } from '../../parsers/index.ts';
import type { BaselineView } from '../../reports/baseline.ts';
import type { SuspicionReason } from '../../reports/suspicion-rules.ts';
import { baselineLines, suspicionLines } from './baseline.ts';

/** Modal views and the approval request message. Pure. */

export interface Modal {
  type: 'modal';
  callback_id: string;
  title: { type: 'plain_text'; text: string };
  submit?: { type: 'plain_text'; text: string };
  close: { type: 'plain_text'; text: string };
  private_metadata: string;
  blocks: unknown[];
}

/** Our block types are a strict subset of Slack's; this is the one place they meet. */
export function asView(m: Modal | { type: 'home'; blocks: unknown[] }): View {
  return m as unknown as View;
}

const title = (text: string) => ({ type: 'plain_text' as const, text: truncate(text, 24) });

export function ackModal(server: string, code_: number, metadata: string, format?: string): Modal {
  return {
    type: 'modal',
    callback_id: VIEW.ack,
    title: title('Acknowledge failure'),
    submit: { type: 'plain_text', text: 'Acknowledge' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: metadata,
    blocks: [
      section(`You take ownership of ${code(server)} (${format ? codeLabel(format, code_) : `code ${code_}`}). Repeat alerts stop until its status changes.`),
      {
        type: 'input',
        block_id: 'note',
        optional: true,
        label: plain('Note', 2000),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500, placeholder: plain('e.g. customer is replacing the disk on Friday', 150) },
      },
    ],
  };
}

/** "Accept as new normal": the reason is required, because it silences a suspect verdict. */
export function acceptModal(server: string, reasons: string[], metadata: string): Modal {
  return {
    type: 'modal',
    callback_id: VIEW.accept,
    title: title('Accept as new normal'),
    submit: { type: 'plain_text', text: 'Accept' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: metadata,
    blocks: [
      section(
        truncate(
          `${code(server)} is suspect:\n${reasons.join('\n')}\n\nAccepting makes this run the first of a new baseline: drops and short runs are measured from it on (after a few good runs). A dry run or a missed canary stays suspect.`,
          LIMITS.sectionText,
        ),
      ),
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Why is this the new normal?', 2000),
        element: { type: 'plain_text_input', action_id: 'value', min_length: 3, max_length: 500, placeholder: plain('e.g. old archives deleted on 3 May', 150) },
      },
    ],
  };
}

export function exceptionModal(server: string, paths: string[], suggested: string, metadata: string): Modal {
  const shown = paths.slice(0, 10).map(code).join('\n');
  return {
    type: 'modal',
    callback_id: VIEW.exception,
    title: title('Add exception'),
    submit: { type: 'plain_text', text: 'Request approval' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: metadata,
    blocks: [
      section(truncate(`Failing on ${code(server)}:\n${shown}${paths.length > 10 ? `\n…and ${paths.length - 10} more` : ''}`, LIMITS.sectionText)),
      context('A pattern without `/` matches file names anywhere (`*.pst`); with `/` it matches the whole path. Case does not matter.'),
      {
        type: 'input',
        block_id: 'pattern',
        label: plain('Pattern', 2000),
        element: { type: 'plain_text_input', action_id: 'value', ...(suggested ? { initial_value: suggested } : {}), max_length: 500 },
      },
      {
        type: 'input',
        block_id: 'scope',
        label: plain('Applies to', 2000),
        element: {
          type: 'radio_buttons',
          action_id: 'value',
          initial_option: { text: plain(`This server (${server})`, 75), value: 'server' },
          options: [
            { text: plain(`This server (${server})`, 75), value: 'server' },
            { text: plain('All servers of this customer', 75), value: 'customer' },
            { text: plain('Every server', 75), value: 'global' },
          ],
        },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Reason', 2000),
        element: { type: 'plain_text_input', action_id: 'value', min_length: 3, max_length: 500, placeholder: plain('e.g. backed up by NTBackup nightly', 150) },
      },
      {
        type: 'input',
        block_id: 'expires',
        optional: true,
        label: plain('Expires on', 2000),
        element: { type: 'datepicker', action_id: 'value' },
      },
    ],
  };
}

export interface DetailsData {
  server: string;
  customer: string;
  targetHost: string | null;
  schedule: string;
  timezone: string;
  graceMinutes: number;
  status: string | null;
  code: number | null;
  /** The tool that wrote the latest log, to show its code as "TSM 12". */
  format?: string | null;
  meaning: string | null;
  backupAt: Date | null;
  lastSuccessAt: Date | null;
  strip: Array<{ day: string; status: string | null; code: number | null }>;
  fileErrors: Array<{ path: string; kind: string; excepted: boolean }>;
  fileErrorCount: number;
  excerpt: string | null;
  reportId: number | null;
  ack: AckInfo | null;
  /** Why the latest run is suspect, and the baseline it was judged against. */
  suspicion?: SuspicionReason[];
  baseline?: BaselineView | null;
}

export function detailsModal(d: DetailsData, now: Date, tz: string, metadata: string): Modal {
  const blocks: Block[] = [
    header(`${d.server} (${d.customer})`),
    section(
      `Target ${d.targetHost ? code(d.targetHost) : '_not set_'} · schedule \`${esc(d.schedule)}\` ${esc(d.timezone)}, grace ${d.graceMinutes} min\n` +
        (d.status
          ? `${icon(d.status)} *${d.status}* · ${d.format ? `*${codeLabel(d.format, d.code!)}*` : `code *${d.code}*`}: ${esc(d.meaning ?? '')} · ${when(d.backupAt!, tz)} · last ok ${ago(d.lastSuccessAt, now)}`
          : 'No reports yet.') +
        (d.ack ? `\n${ackLine(d.ack)}` : ''),
    ),
  ];
  const numbers = [...suspicionLines(d.suspicion), ...baselineLines(d.baseline, tz)];
  if (numbers.length) blocks.push(section(truncate(numbers.join('\n'), LIMITS.sectionText)));
  blocks.push(
    section(`*Last ${d.strip.length} days*\n${d.strip.map((s) => (s.status ? icon(s.status) : '▫️')).join('')}\n${d.strip.map((s) => `\`${s.day.slice(5)}\` ${s.code ?? '·'}`).join('  ')}`),
  );
  if (d.fileErrors.length) {
    const lines = d.fileErrors.slice(0, 25).map((e) => `${e.excepted ? ':white_check_mark: excepted' : ':x:'} ${e.kind} ${code(e.path)}`);
    blocks.push(section(truncate(`*File errors* (${d.fileErrorCount})\n${lines.join('\n')}`, LIMITS.sectionText)));
  }
  if (d.excerpt) blocks.push(section(truncate(`*Log excerpt*\n\`\`\`${esc(d.excerpt).replace(/```/g, "'''")}\`\`\``, LIMITS.sectionText)));
  if (d.reportId) blocks.push(actions([button('Download log', ACTION.downloadLog, encodeReportRef(d.reportId))]));
  return {
    type: 'modal',
    callback_id: VIEW.details,
    title: title('Server details'),
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: metadata,
    blocks,
  };
}

export interface ApprovalData {
  exception: ExceptionRow;
  scopeLabel: string;
  paths: string[];
  tz: string;
  decided?: { by: string; approved: boolean; summary?: string };
}

/** The approval request in SLACK_APPROVALS_CHANNEL; once decided, it loses its buttons. */
export function approvalMessage(a: ApprovalData): { text: string; blocks: Block[] } {
  const e = a.exception;
  const lines = [
    `${mention(e.createdBy)} asks to except ${code(e.pattern)} on ${a.scopeLabel}.`,
    `*Reason:* ${esc(e.reason)}${e.expiresAt ? `\n*Expires:* ${when(e.expiresAt, a.tz)}` : ''}`,
  ];
  const blocks: Block[] = [section(lines.join('\n'))];
  if (a.paths.length) blocks.push(context(truncate(`Failing now: ${a.paths.slice(0, 5).map(code).join(' ')}${a.paths.length > 5 ? ` +${a.paths.length - 5} more` : ''}`, 2000)));
  if (a.decided) {
    blocks.push(
      section(
        a.decided.approved
          ? `:white_check_mark: Approved by ${mention(a.decided.by)}.${a.decided.summary ? ` ${esc(a.decided.summary)}` : ''}`
          : `:no_entry: Rejected by ${mention(a.decided.by)}.`,
      ),
    );
  } else {
    blocks.push(actions([button('Approve', ACTION.approve, encodeExceptionRef(e.id), 'primary'), button('Reject', ACTION.reject, encodeExceptionRef(e.id), 'danger')], `approval:${e.id}`));
  }
  return { text: esc(`Exception request: ${e.pattern}`), blocks };
}
