import type { NightlySummary, ProblemRow } from '../../reports/summary.ts';
import { code, divider, esc, header, paginate, packSections, section, type SlackMessage } from './blocks.ts';
import { ago, firstSentence, icon, plural, when } from './format.ts';

export function problemLine(p: ProblemRow, now: Date): string {
  const paths = p.failingPaths.length
    ? `\n      ${p.failingPaths.map(code).join(' ')}${p.fileErrorCount > p.failingPaths.length ? ` +${p.fileErrorCount - p.failingPaths.length} more` : ''}`
    : '';
  return (
    `${icon(p.status)} ${code(p.server)} *${p.status}* · code ${p.code}: ${esc(p.meaning)} · last ok ${ago(p.lastSuccessAt, now)}` +
    `${paths}\n      _${esc(firstSentence(p.hint))}_`
  );
}

/** The nightly summary: a headline with counts, then every server that is not ok, by customer. */
export function nightlyMessages(s: NightlySummary, tz: string): SlackMessage[] {
  const { counts } = s;
  const title = `Nightly backup report · ${when(s.at, tz)}`;
  const headline =
    `*${plural(s.servers, 'server')}* in the last 24 h: ` +
    `${icon('ok')} *${counts.ok}* ok` +
    (counts.okByExceptions ? ` (${counts.okByExceptions} only thanks to exceptions)` : '') +
    ` · ${icon('failed')} *${counts.failed}* failed · ${icon('incomplete')} *${counts.incomplete}* incomplete · ${icon('missing')} *${counts.missing}* missing`;
  const head = [header(title), section(headline)];
  if (s.problems.length === 0) {
    head.push(section(':tada: Every backup completed.'));
    return paginate(title, head, [], `${title}: all ${s.servers} servers ok`);
  }
  head.push(divider());
  const lines: string[] = [];
  let customer: string | null = null;
  for (const p of s.problems) {
    if (p.customer !== customer) {
      customer = p.customer;
      lines.push(`*${esc(customer)}*`);
    }
    lines.push(problemLine(p, s.at));
  }
  const fallback = `${title}: ${counts.ok} ok, ${counts.failed} failed, ${counts.incomplete} incomplete, ${counts.missing} missing`;
  return paginate(title, head, packSections(lines), fallback);
}
