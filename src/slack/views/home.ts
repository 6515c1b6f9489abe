import type { ExceptionRow } from '../../exceptions/store.ts';
import type { ProblemRow, StateCounts } from '../../reports/summary.ts';
import { ACTION, encodeExceptionRef } from '../action-ids.ts';
import { actions, button, code, context, divider, esc, header, section, type Block } from './blocks.ts';
import { icon, plural } from './format.ts';
import { problemBlocks } from './nightly.ts';
import { mention } from './server-block.ts';

const MAX_FAILURES = 40;

/** The App Home tab: the fleet at a glance, open failures, and (for approvers) what waits for them. */
export function homeView(counts: StateCounts, open: ProblemRow[], pending: ExceptionRow[] | null, now: Date) {
  const blocks: Block[] = [
    header('Backups at a glance'),
    section(
      (['failed', 'suspect', 'incomplete', 'missing', 'ok'] as const).map((s) => `${icon(s)} *${counts[s]}* ${s}`).join(' · ') +
        (counts.waiting ? ` · ${icon('waiting')} *${counts.waiting}* waiting for a first report` : '') +
        (counts.paused ? ` · ${icon('paused')} *${counts.paused}* paused` : ''),
    ),
  ];
  if (pending && pending.length) {
    blocks.push(divider(), section(`*Waiting for your approval (${pending.length})*`));
    for (const e of pending.slice(0, 10)) {
      blocks.push(section(`${code(e.pattern)} (${e.scope}) — ${esc(e.reason)} · asked by ${mention(e.createdBy)}`));
      blocks.push(actions([button('Approve', ACTION.approve, encodeExceptionRef(e.id), 'primary'), button('Reject', ACTION.reject, encodeExceptionRef(e.id), 'danger')], `approval:${e.id}`));
    }
  }
  const unowned = open.filter((p) => !p.ack);
  blocks.push(divider(), section(`*Open failures (${plural(unowned.length, 'server')} nobody has acknowledged)*`));
  blocks.push(...problemBlocks(unowned.slice(0, MAX_FAILURES), now));
  if (unowned.length > MAX_FAILURES) blocks.push(context(`…and ${unowned.length - MAX_FAILURES} more: \`/backup failures\`.`));
  if (unowned.length === 0) blocks.push(section(':tada: Nothing open.'));
  return { type: 'home' as const, blocks };
}
