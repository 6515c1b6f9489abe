import type { FailureDigest } from '../../reports/digest.ts';
import { code, esc, header, paginate, packSections, section, type SlackMessage } from './blocks.ts';
import { firstSentence, plural, when } from './format.ts';

/** The three-day failure digest: longest-failing servers first, with their streak of codes. */
export function digestMessages(d: FailureDigest, tz: string): SlackMessage[] {
  const title = `Servers failing ${d.minDays}+ days · ${when(d.at, tz)}`;
  if (d.rows.length === 0) {
    return paginate(title, [header(title), section(`:tada: No server has gone ${d.minDays} days without a good backup.`)], [], `${title}: none`);
  }
  const lines = d.rows.map((r) => {
    const since = r.daysSinceSuccess === null ? '*never succeeded*' : `*${plural(r.daysSinceSuccess, 'day')}* since the last good backup`;
    const streak = r.streak.map((s) => (s.code === null ? '·' : String(s.code))).join(' ');
    return (
      `${code(r.server)} (${esc(r.customer)}) · ${since}\n` +
      `      codes: \`${streak}\` · now ${r.code}: ${esc(r.meaning)}\n` +
      `      _${esc(firstSentence(r.hint))}_`
    );
  });
  const head = [header(title), section(`*${plural(d.rows.length, 'server')}* with no successful backup for ${d.minDays} or more days, longest first.`)];
  return paginate(title, head, packSections(lines), `${title}: ${d.rows.length} servers`);
}
