import { codeLabel } from '../../parsers/index.ts';
import type { DigestRow, FailureDigest } from '../../reports/digest.ts';
import { code, context, esc, header, paginate, section, type Block, type SlackMessage } from './blocks.ts';
import { firstSentence, icon, plural, when } from './format.ts';
import { webLinks } from './nightly.ts';
import { suspicionLines } from './baseline.ts';
import { ackLine, serverSection } from './server-block.ts';

function digestLine(r: DigestRow): string {
  const since = r.daysSinceSuccess === null ? '*never succeeded*' : `*${plural(r.daysSinceSuccess, 'day')}* since the last good backup`;
  const streak = r.streak.map((s) => (s.code === null ? '·' : String(s.code))).join(' ');
  const now = r.code === null ? `now *${r.status}*` : `now ${r.status === 'suspect' ? '*suspect* ' : ''}${codeLabel(r.format, r.code)}`;
  const why = suspicionLines(r.suspicion).map((l) => `      ${l}\n`).join('');
  return (
    `${code(r.server)} (${esc(r.customer)}) · ${since}\n` +
    `      codes: \`${streak}\` · ${now}: ${esc(r.meaning)}\n` +
    why +
    `      _${esc(firstSentence(r.hint))}_`
  );
}

/** " (2 failed · 1 suspect · 1 missing)": a suspect run is never a good backup, and is counted on its own. */
function byState(rows: DigestRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return counts.size ? ` (${[...counts.entries()].map(([s, n]) => `${icon(s)} ${n} ${s}`).join(' · ')})` : '';
}

/**
 * The three-day failure digest, longest-failing first. Acknowledged failures are listed
 * at the end with who owns them, so they are seen but do not alert again.
 */
export function digestMessages(d: FailureDigest, tz: string, webBase?: string): SlackMessage[] {
  const title = `Servers failing ${d.minDays}+ days · ${when(d.at, tz)}`;
  const links = webBase ? [webLinks(webBase, [['/reports/digest', 'This report in the browser'], ['/reports/history', 'History heatmap']])] : [];
  if (d.rows.length === 0) {
    return paginate(title, [header(title), section(`:tada: No server has gone ${d.minDays} days without a good backup.`), ...links], [], `${title}: none`);
  }
  const open = d.rows.filter((r) => !r.ack);
  const owned = d.rows.filter((r) => r.ack);
  const head = [
    header(title),
    section(
      `*${plural(open.length, 'server')}* with no successful backup for ${d.minDays} or more days, longest first.` +
        byState(open) +
        (owned.length ? ` ${plural(owned.length, 'more')} acknowledged (at the end).` : ''),
    ),
    ...links,
  ];
  const body: Block[] = open.map((r) => serverSection(r, digestLine(r)));
  if (owned.length) {
    body.push(context(`:eyes: *Acknowledged* — someone is on these; no alert until they change.`));
    for (const r of owned) body.push(section(`${digestLine(r)}\n${ackLine(r.ack!)}`));
  }
  return paginate(title, head, body, `${title}: ${open.length} servers need attention`);
}
