import type { NightlySummary, ProblemRow } from '../../reports/summary.ts';
import { code, divider, esc, header, paginate, section, type Block, type SlackMessage } from './blocks.ts';
import { ago, firstSentence, icon, plural, when } from './format.ts';
import { serverSection } from './server-block.ts';

export function problemLine(p: ProblemRow, now: Date): string {
  const paths = p.failingPaths.length
    ? `\n      ${p.failingPaths.map(code).join(' ')}${p.fileErrorCount > p.failingPaths.length ? ` +${p.fileErrorCount - p.failingPaths.length} more` : ''}`
    : '';
  return (
    `${icon(p.status)} *${esc(p.customer)}* › ${code(p.server)} *${p.status}* · code ${p.code}: ${esc(p.meaning)} · last ok ${ago(p.lastSuccessAt, now)}` +
    `${paths}\n      _${esc(firstSentence(p.hint))}_`
  );
}

/** Every server that is not ok, one block each with its actions, by customer. */
export function problemBlocks(problems: ProblemRow[], now: Date): Block[] {
  return problems.map((p) => serverSection(p, problemLine(p, now)));
}

/** The nightly summary: a headline with counts, then every server that is not ok, by customer. */
export function nightlyMessages(s: NightlySummary, tz: string): SlackMessage[] {
  const { counts } = s;
  const title = `Nightly backup report · ${when(s.at, tz)}`;
  const headline =
    `*${plural(s.servers, 'server')}* in the last 24 h: ` +
    `${icon('ok')} *${counts.ok}* ok` +
    (counts.okByExceptions ? ` (${counts.okByExceptions} only thanks to exceptions)` : '') +
    ` · ${icon('failed')} *${counts.failed}* failed · ${icon('incomplete')} *${counts.incomplete}* incomplete · ${icon('missing')} *${counts.missing}* missing` +
    (counts.acknowledged ? `\n:eyes: ${counts.acknowledged} of the problems are acknowledged.` : '');
  const head = [header(title), section(headline)];
  if (s.problems.length === 0) {
    head.push(section(':tada: Every backup completed.'));
    return paginate(title, head, [], `${title}: all ${s.servers} servers ok`);
  }
  head.push(divider());
  const fallback = `${title}: ${counts.ok} ok, ${counts.failed} failed, ${counts.incomplete} incomplete, ${counts.missing} missing`;
  return paginate(title, head, problemBlocks(s.problems, s.at), fallback);
}

export { esc };
