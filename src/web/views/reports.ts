import type { FailureDigest } from '../../reports/digest.ts';
import type { NightlySummary, ServerRow } from '../../reports/summary.ts';
import { firstSentence, plural, when } from '../../slack/views/format.ts';
import { codeLabel } from '../../parsers/index.ts';
import { html, seg, type Html } from '../html.ts';
import { layout } from './layout.ts';

/** The headline counts as text: the same numbers, and the same refusal to claim an all-clear without evidence, as the Slack post. */
function headline(s: NightlySummary): Html {
  if (s.servers === 0) return html`<p>No servers are monitored yet, so there is nothing to report. Add one with <code>backupbot server add CUSTOMER SERVER</code>.</p>`;
  const c = s.counts;
  const problems = c.failed + c.incomplete + c.missing;
  const verdict =
    problems > 0
      ? `${plural(problems, 'server')} need${problems === 1 ? 's' : ''} attention.`
      : c.ok === 0
        ? 'No backup was due yet, so nothing has been proven either way.'
        : `Every backup that was due completed${c.waiting + c.paused ? ` (${c.waiting + c.paused} not expected yet or paused)` : ''}.`;
  return html`<ul class="legend" aria-label="Counts">
<li><span class="state ok">${c.ok}</span> ok${c.okByExceptions ? ` (${c.okByExceptions} only thanks to exceptions)` : ''}</li>
<li><span class="state failed">${c.failed}</span> failed</li><li><span class="state incomplete">${c.incomplete}</span> incomplete</li>
<li><span class="state missing">${c.missing}</span> missing</li>${c.waiting ? html`<li><span class="state waiting">${c.waiting}</span> waiting for a first report</li>` : ''}${
    c.paused ? html`<li><span class="state paused">${c.paused}</span> paused</li>` : ''
  }</ul><p><strong>${plural(s.servers, 'server')}</strong>: ${verdict}${c.acknowledged ? ` ${c.acknowledged} of the problems are acknowledged.` : ''}</p>`;
}

const serverLink = (name: string, customer: string, ambiguous: Set<string>) => {
  const link = ambiguous.has(name.toLowerCase()) ? `${customer}/${name}` : name;
  return html`<a href="/servers/${seg(link)}">${name}</a>`;
};

function duplicates(names: string[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names.map((x) => x.toLowerCase())) (seen.has(n) ? dup : seen).add(n);
  return dup;
}

function problemTable(rows: ServerRow[], tz: string): Html {
  const dup = duplicates(rows.map((r) => r.server));
  return html`<div class="tablewrap"><table><thead><tr><th scope="col">Customer</th><th scope="col">Server</th><th scope="col">State</th><th scope="col">What happened</th><th scope="col">Last good backup</th><th scope="col">What to do</th></tr></thead><tbody>${rows.map(
    (p) => html`<tr><td>${p.customer}</td><td>${serverLink(p.server, p.customer, dup)}</td><td><span class="state ${p.status}">${p.status}</span>${
      p.code !== null ? html` ${codeLabel(p.format, p.code)}` : ''
    }</td><td>${p.meaning}${p.failingPaths.length ? html`<br>${p.failingPaths.map((f) => html`<code>${f}</code> `)}${p.fileErrorCount > p.failingPaths.length ? `+${p.fileErrorCount - p.failingPaths.length} more` : ''}` : ''}${
      p.pause ? html` · ${p.pause.reason}` : ''
    }</td><td>${p.lastSuccessAt ? when(p.lastSuccessAt, tz) : p.status === 'waiting' || p.status === 'paused' ? '—' : 'never'}</td><td>${firstSentence(p.hint)}${
      p.ack ? html`<br><strong>Acknowledged</strong> by ${p.ack.userId}${p.ack.note ? html`: ${p.ack.note}` : ''}` : ''
    }</td></tr>`,
  )}</tbody></table></div>`;
}

/** The nightly report as a page: the Slack post's headline, problems by customer, then the quiet servers. Pure. */
export function nightlyPage(s: NightlySummary, tz: string): Html {
  const title = `Nightly backup report · ${when(s.at, tz)}`;
  return layout(
    { title, current: 'nightly' },
    html`<h1>${title}</h1>${headline(s)}
${s.problems.length ? html`<h2>Needs attention</h2>${problemTable(s.problems, tz)}` : ''}
${s.quiet.length ? html`<h2>Not expected tonight (${plural(s.quiet.length, 'server')}: new or paused)</h2>${problemTable(s.quiet, tz)}` : ''}`,
  );
}

/** The failure digest as a page: longest-failing first, acknowledged ones at the end. Pure. */
export function digestPage(d: FailureDigest, tz: string): Html {
  const title = `Servers failing ${d.minDays}+ days · ${when(d.at, tz)}`;
  const open = d.rows.filter((r) => !r.ack);
  const owned = d.rows.filter((r) => r.ack);
  const dup = duplicates(d.rows.map((r) => r.server));
  const table = (rows: typeof d.rows) => html`<div class="tablewrap"><table><thead><tr><th scope="col">Server</th><th scope="col">Customer</th><th scope="col">Since the last good backup</th><th scope="col">Codes, oldest first</th><th scope="col">Now</th><th scope="col">What to do</th></tr></thead><tbody>${rows.map(
    (r) => html`<tr><td>${serverLink(r.server, r.customer, dup)}</td><td>${r.customer}</td><td>${r.daysSinceSuccess === null ? html`<strong>never succeeded</strong>` : plural(r.daysSinceSuccess, 'day')}</td><td><code>${r.streak
      .map((s) => (s.code === null ? '·' : String(s.code)))
      .join(' ')}</code></td><td><span class="state ${r.status}">${r.status}</span> ${r.code !== null ? codeLabel(r.format, r.code) : ''} · ${r.meaning}</td><td>${firstSentence(r.hint)}${
      r.ack ? html`<br><strong>Acknowledged</strong> by ${r.ack.userId}${r.ack.note ? html`: ${r.ack.note}` : ''}` : ''
    }</td></tr>`,
  )}</tbody></table></div>`;
  return layout(
    { title, current: 'digest' },
    html`<h1>${title}</h1>${
      d.rows.length === 0
        ? html`<p>No server has gone ${d.minDays} days without a good backup.</p>`
        : html`<p><strong>${plural(open.length, 'server')}</strong> with no successful backup for ${d.minDays} or more days, longest first.${
            owned.length ? ` ${plural(owned.length, 'more')} acknowledged (at the end).` : ''
          }</p>${open.length ? table(open) : ''}${owned.length ? html`<h2>Acknowledged — someone is on these</h2>${table(owned)}` : ''}`
    }`,
  );
}

/** What someone without a valid session sees: why, and how to get in. Pure. */
export function signInPage(reason: 'none' | 'expired' | 'invalid', slack: boolean, slackSignIn = false, problem?: string): Html {
  const why =
    problem ??
    (reason === 'expired'
      ? 'That sign-in link or session has expired.'
      : reason === 'invalid'
        ? 'That sign-in link is not valid (it was changed, cut short, or signed with another key).'
        : 'These pages are private.');
  return layout(
    { title: 'Sign in', signedIn: false },
    html`<div class="signin"><h1>Sign in</h1><p>${why}</p>${
      slackSignIn ? html`<p><a href="/auth/slack">Sign in with Slack</a></p><p>Or get a link:</p>` : html`<p>To get a fresh link:</p>`
    }<ul>${slack ? html`<li>type <code>/backup web</code> in Slack, or</li>` : ''}<li>run <code>backupbot web-link</code> on the server (add <code>--hours N</code> for a longer link).</li></ul></div>`,
  );
}

/** A plain page for a missing server or report. Pure. */
export function notFoundPage(message: string): Html {
  return layout({ title: 'Not found' }, html`<h1>Not found</h1><p>${message}</p><p><a href="/reports/history">Back to the history</a></p>`);
}
