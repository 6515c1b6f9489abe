import type { DigestRow, FailureDigest } from '../../reports/digest.ts';
import { code, context, esc, header, paginate, section, type Block, type SlackMessage } from './blocks.ts';
import { firstSentence, plural, when } from './format.ts';
import { ackLine, serverSection } from './server-block.ts';

function digestLine(r: DigestRow): string {
  const since = r.daysSinceSuccess === null ? '*never succeeded*' : `*${plural(r.daysSinceSuccess, 'day')}* since the last good backup`;
  const streak = r.streak.map((s) => (s.code === null ? '·' : String(s.code))).join(' ');
  return (
    `${code(r.server)} (${esc(r.customer)}) · ${since}\n` +
    `      codes: \`${streak}\` · now ${r.code}: ${esc(r.meaning)}\n` +
    `      _${esc(firstSentence(r.hint))}_`
  );
}

/**
 * The three-day failure digest, longest-failing first. Acknowledged failures are listed
 * at the end with who owns them, so they are seen but do not alert again.
 */
export function digestMessages(d: FailureDigest, tz: string): SlackMessage[] {
  const title = `Servers failing ${d.minDays}+ days · ${when(d.at, tz)}`;
  if (d.rows.length === 0) {
    return paginate(title, [header(title), section(`:tada: No server has gone ${d.minDays} days without a good backup.`)], [], `${title}: none`);
  }
  const open = d.rows.filter((r) => !r.ack);
  const owned = d.rows.filter((r) => r.ack);
  const head = [
    header(title),
    section(
      `*${plural(open.length, 'server')}* with no successful backup for ${d.minDays} or more days, longest first.` +
        (owned.length ? ` ${plural(owned.length, 'more')} acknowledged (at the end).` : ''),
    ),
  ];
  const body: Block[] = open.map((r) => serverSection({ ...r, status: 'failed' }, digestLine(r)));
  if (owned.length) {
    body.push(context(`:eyes: *Acknowledged* — someone is on these; no alert until they change.`));
    for (const r of owned) body.push(section(`${digestLine(r)}\n${ackLine(r.ack!)}`));
  }
  return paginate(title, head, body, `${title}: ${open.length} servers need attention`);
}
