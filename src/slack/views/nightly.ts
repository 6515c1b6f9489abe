import { codeLabel } from '../../parsers/index.ts';
import type { PostedMeta } from '../../db/schema.ts';
import type { NightlySummary, ServerRow, StateCounts } from '../../reports/summary.ts';
import { code, context, divider, esc, header, mrkdwn, packSections, paginate, type Block, type SlackMessage } from './blocks.ts';
import { ago, firstSentence, icon, plural, when } from './format.ts';
import { serverSection } from './server-block.ts';

/** block_id of the summary's headline, so it can be found and recomputed after a change. */
export const HEADLINE_BLOCK = 'headline';

/** One server in a list: state, code with its tool, meaning, last success, failing paths, advice. */
export function problemLine(p: ServerRow, now: Date): string {
  const paths = p.failingPaths.length
    ? `\n      ${p.failingPaths.map(code).join(' ')}${p.fileErrorCount > p.failingPaths.length ? ` +${p.fileErrorCount - p.failingPaths.length} more` : ''}`
    : '';
  const codePart = p.code !== null ? ` · ${codeLabel(p.format, p.code)}` : '';
  const first = `${icon(p.status)} *${esc(p.customer)}* › ${code(p.server)} *${p.status}*${codePart}: ${esc(p.meaning)}`;
  if (p.status === 'ok') return `${first}${p.okByExceptions ? ' (ok thanks to exceptions)' : ''}`;
  if (p.status === 'paused') return `${first}${p.pause?.until ? ` until ${p.pause.until.toISOString().slice(0, 10)}` : ''} · _${esc(p.pause?.reason ?? '')}_`;
  if (p.status === 'waiting') return first;
  const why = p.suspicion?.length ? `\n      ${p.suspicion.map((s) => `:mag: ${esc(s.message)}`).join('\n      ')}` : '';
  return `${first} · last ok ${ago(p.lastSuccessAt, now)}${why}${paths}\n      _${esc(firstSentence(p.hint))}_`;
}

/** Every server that is not ok, one block each with its actions, by customer. */
export function problemBlocks(problems: ServerRow[], now: Date): Block[] {
  return problems.map((p) => serverSection(p, problemLine(p, now)));
}

/**
 * The headline of the nightly summary. It never claims an all-clear without evidence: with no
 * servers, or none that were due yet, it says so instead of "every backup completed".
 */
export function nightlyHeadline(servers: number, counts: StateCounts): string {
  if (servers === 0) return 'No servers are monitored yet, so there is nothing to report. Add one with `backupbot server add CUSTOMER SERVER`.';
  const parts = [`${icon('ok')} *${counts.ok}* ok` + (counts.okByExceptions ? ` (${counts.okByExceptions} only thanks to exceptions)` : '')];
  for (const s of ['failed', 'suspect', 'incomplete', 'missing'] as const) parts.push(`${icon(s)} *${counts[s]}* ${s}`);
  if (counts.waiting) parts.push(`${icon('waiting')} *${counts.waiting}* waiting for a first report`);
  if (counts.paused) parts.push(`${icon('paused')} *${counts.paused}* paused`);
  const problems = counts.failed + (counts.suspect ?? 0) + counts.incomplete + counts.missing;
  let verdict: string;
  if (problems > 0) verdict = `${plural(problems, 'server')} need${problems === 1 ? 's' : ''} attention.`;
  else if (counts.ok === 0) verdict = 'No backup was due yet, so nothing has been proven either way.';
  else verdict = `:tada: Every backup that was due completed${counts.waiting + counts.paused ? ` (${counts.waiting + counts.paused} not expected yet or paused)` : ''}.`;
  return `*${plural(servers, 'server')}*: ${parts.join(' · ')}\n${verdict}` + (counts.acknowledged ? `\n:eyes: ${counts.acknowledged} of the problems are acknowledged.` : '');
}

function headlineBlock(servers: number, counts: StateCounts): Block {
  return { type: 'section', block_id: HEADLINE_BLOCK, text: mrkdwn(nightlyHeadline(servers, counts)) };
}

/** Re-renders the headline inside a posted message from recomputed counts (null: no headline there). */
export function replaceHeadline(blocks: Block[], meta: PostedMeta): Block[] | null {
  let found = false;
  const next = blocks.map((b) => {
    if (b.block_id !== HEADLINE_BLOCK) return b;
    found = true;
    return headlineBlock(meta.servers, meta.counts as StateCounts);
  });
  return found ? next : null;
}

/** The nightly summary: a headline with counts, every server that needs attention by customer, then the quiet ones. */
export function nightlyMessages(s: NightlySummary, tz: string, webBase?: string): SlackMessage[] {
  const { counts } = s;
  const title = `Nightly backup report · ${when(s.at, tz)}`;
  const head: Block[] = [header(title), headlineBlock(s.servers, counts)];
  if (webBase) head.push(webLinks(webBase, [['/reports/nightly', 'This report in the browser'], ['/reports/history', 'History heatmap'], ['/reports/digest', 'Failure digest']]));
  const quiet = s.quiet.length ? quietBlocks(s.quiet, s.at) : [];
  const fallback =
    s.servers === 0
      ? `${title}: no servers are monitored yet`
      : `${title}: ${counts.ok} ok, ${counts.failed} failed, ${counts.suspect} suspect, ${counts.incomplete} incomplete, ${counts.missing} missing` +
        (counts.waiting ? `, ${counts.waiting} waiting` : '') +
        (counts.paused ? `, ${counts.paused} paused` : '');
  if (s.problems.length) head.push(divider());
  const pages = paginate(title, head, [...problemBlocks(s.problems, s.at), ...quiet], fallback);
  const states: Record<string, string> = {};
  for (const p of [...s.problems, ...s.quiet]) states[String(p.serverId)] = stateKey(p);
  const meta: PostedMeta = { kind: 'nightly', servers: s.servers, counts: { ...counts }, states };
  pages[0] = { ...pages[0]!, meta };
  return pages;
}

/** Links to the web pages (they ask for sign-in: `/backup web` gives a link). */
export function webLinks(base: string, links: Array<[string, string]>): Block {
  return context(`:bar_chart: ${links.map(([path, label]) => `<${base}${path}|${label}>`).join(' · ')} _(sign in with \`/backup web\`)_`);
}

/** Waiting and paused servers, compactly: seen, but not alerts. */
function quietBlocks(rows: ServerRow[], now: Date): Block[] {
  return [context(`*Not expected tonight* (${plural(rows.length, 'server')}: new or paused)`), ...packSections(rows.map((r) => problemLine(r, now)))];
}

/** How a listed server is remembered in a summary's meta: its state, "+exc" when ok thanks to exceptions, "+ack" when owned. */
export function stateKey(row: Pick<ServerRow, 'status' | 'okByExceptions' | 'ack'>): string {
  return `${row.status}${row.status === 'ok' && row.okByExceptions ? '+exc' : ''}${row.ack ? '+ack' : ''}`;
}

/** The summary's counts after one listed server moved from its remembered state to `row`'s. Pure. */
export function recount(meta: PostedMeta, serverId: number, row: Pick<ServerRow, 'status' | 'okByExceptions' | 'ack'>): PostedMeta {
  const before = meta.states[String(serverId)] ?? 'ok';
  const after = stateKey(row);
  if (before === after) return meta;
  const counts = { ...meta.counts };
  const apply = (key: string, by: number) => {
    const [state, ...flags] = key.split('+');
    counts[state!] = (counts[state!] ?? 0) + by;
    if (flags.includes('exc')) counts.okByExceptions = (counts.okByExceptions ?? 0) + by;
    if (flags.includes('ack')) counts.acknowledged = (counts.acknowledged ?? 0) + by;
  };
  apply(before, -1);
  apply(after, 1);
  return { ...meta, counts, states: { ...meta.states, [String(serverId)]: after } };
}

export { esc };
