import type { Ack } from '../../acks/acknowledge.ts';
import type { ExceptionRow } from '../../exceptions/store.ts';
import type { ServerWithCustomer } from '../../fleet/servers.ts';
import type { ResultRow } from '../../reports/results.ts';
import type { ServerRow } from '../../reports/summary.ts';
import { when } from '../../slack/views/format.ts';
import { codeLabel } from '../../parsers/index.ts';
import { html, seg, type Html } from '../html.ts';
import { bytes, count, duration, lineChart, type Point } from './chart.ts';
import { CELL_KINDS, type CellKind } from './history-model.ts';
import { layout } from './layout.ts';

export interface FileErrorView {
  path: string;
  kind: string;
  message: string;
  excepted: boolean;
}

export interface ReportView {
  id: number;
  receivedAt: Date;
  size: number;
  state: string;
  status: string | null;
  code: number | null;
  format: string | null;
  meaning: string | null;
}

export interface StatsPoint {
  at: Date;
  files?: number | undefined;
  size?: number | undefined;
  seconds?: number | undefined;
}

export interface AuditView {
  at: Date;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface ServerPageData {
  server: ServerWithCustomer;
  linkName: string;
  row: ServerRow;
  latest: ResultRow | null;
  fileErrors: FileErrorView[];
  /** Last 30 days, oldest first. */
  strip: Array<{ day: string; kind: CellKind; title: string }>;
  /** The day asked for (?day=), with that day's results. */
  day: string | null;
  dayResults: ResultRow[];
  series: StatsPoint[];
  exceptions: ExceptionRow[];
  acks: Ack[];
  audit: AuditView[];
  reports: ReportView[];
  tz: string;
  now: Date;
}

const stateBadge = (s: string) => html`<span class="state ${s}">${s}</span>`;

/** One server: verdict, file errors, day strip, numbers over time, exceptions, acks, audit, and every report. Pure. */
export function serverPage(d: ServerPageData): Html {
  const { row, server } = d;
  const verdict = html`<p>${stateBadge(row.status)} ${row.code !== null ? html`<strong>${codeLabel(row.format, row.code)}</strong> · ` : ''}${row.meaning}${
    row.okByExceptions ? ' (ok thanks to exceptions)' : ''
  }</p>
${row.reason ? html`<p>${row.reason}</p>` : ''}
<p class="hint"><strong>What to do:</strong> ${row.hint}</p>
<p class="muted">Last good backup: ${row.lastSuccessAt ? when(row.lastSuccessAt, d.tz) : 'never'}${row.backupAt ? html` · this result: ${when(row.backupAt, d.tz)}` : ''}${
    row.ack ? html` · acknowledged by ${row.ack.userId}${row.ack.note ? html`: ${row.ack.note}` : ''}` : ''
  }</p>`;
  const errors = d.fileErrors.length
    ? html`<div class="tablewrap"><table><caption class="muted">Real failures first; excepted ones are marked.</caption><thead><tr><th scope="col">Path</th><th scope="col">Kind</th><th scope="col">Message</th><th scope="col">Excepted</th></tr></thead><tbody>${d.fileErrors.map(
        (e) => html`<tr${e.excepted ? html` class="excepted"` : ''}><td><code>${e.path}</code></td><td>${e.kind}</td><td>${e.message}</td><td>${e.excepted ? 'excepted' : 'no'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>No file errors in the latest report.</p>`;
  const strip = html`<div class="strip">${d.strip.map(
    (c) =>
      html`<a class="c ${CELL_KINDS[c.kind].cls}" href="/servers/${seg(d.linkName)}?day=${c.day}" title="${c.title}">${CELL_KINDS[c.kind].glyph}</a>`,
  )}</div>`;
  const dayPart = d.day
    ? html`<section><h2>${d.day}</h2>${
        d.dayResults.length
          ? html`<ul>${d.dayResults.map(
              (r) => html`<li>${when(r.backupAt, d.tz)}: ${stateBadge(r.status)} ${r.status === 'missing' ? '' : codeLabel(r.format, r.code)} · ${r.meaning}${r.reason ? html` — ${r.reason}` : ''}</li>`,
            )}</ul>`
          : html`<p>No result on this day.</p>`
      }</section>`
    : '';
  const points = (pick: (p: StatsPoint) => number | undefined): Point[] =>
    d.series.flatMap((p) => {
      const v = pick(p);
      return v === undefined || !Number.isFinite(v) ? [] : [{ at: p.at, value: v }];
    });
  const charts = html`${lineChart('Files', points((p) => p.files), count)}${lineChart('Size', points((p) => p.size), bytes)}${lineChart(
    'Duration',
    points((p) => p.seconds),
    duration,
  )}`;
  const exceptions = d.exceptions.length
    ? html`<div class="tablewrap"><table><thead><tr><th scope="col">Pattern</th><th scope="col">Scope</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">Approved by</th><th scope="col">Expires</th></tr></thead><tbody>${d.exceptions.map(
        (e) =>
          html`<tr><td><code>${e.pattern}</code></td><td>${e.scope}</td><td>${e.state}</td><td>${e.reason}</td><td>${e.approvedBy ?? '—'}</td><td>${e.expiresAt ? e.expiresAt.toISOString().slice(0, 10) : 'never'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>No exception applies to this server.</p>`;
  const acks = d.acks.length
    ? html`<ul>${d.acks.map((a) => html`<li>${when(a.createdAt, d.tz)}: ${a.userId} took ${a.status} (code ${a.code})${a.note ? html` — ${a.note}` : ''}</li>`)}</ul>`
    : html`<p>No acknowledgements.</p>`;
  const audit = d.audit.length
    ? html`<ul>${d.audit.map((a) => html`<li>${when(a.at, d.tz)}: ${a.actor} · ${a.action}${Object.keys(a.details).length ? html` · <code>${JSON.stringify(a.details)}</code>` : ''}</li>`)}</ul>`
    : html`<p>No audit entries.</p>`;
  const reports = d.reports.length
    ? html`<div class="tablewrap"><table><thead><tr><th scope="col">Received</th><th scope="col">Verdict</th><th scope="col">Size</th><th scope="col">Raw log</th></tr></thead><tbody>${d.reports.map(
        (r) =>
          html`<tr><td>${when(r.receivedAt, d.tz)} <span class="muted">${r.receivedAt.getUTCFullYear()}</span></td><td>${r.status ? stateBadge(r.status) : r.state} ${
            r.code !== null ? codeLabel(r.format, r.code) : ''
          }${r.meaning ? html` · ${r.meaning}` : ''}</td><td>${bytes(r.size)}</td><td>${
            r.state === 'stored'
              ? html`<a href="/reports/${r.id}/raw" download>Download report ${r.id}</a>`
              : r.state === 'pruned'
                ? html`<span class="muted">deleted by retention (RETENTION_DAYS); the verdict is kept</span>`
                : html`<span class="muted">${r.state}</span>`
          }</td></tr>`,
      )}</tbody></table></div>`
    : html`<p>No reports yet.</p>`;
  return layout(
    { title: server.name, current: 'server' },
    html`<h1>${server.name} <span class="muted">· ${server.customerName}${server.targetHost ? html` · target ${server.targetHost}` : ''}${server.removedAt ? ' · removed' : ''}</span></h1>
<section aria-labelledby="verdict"><h2 id="verdict">Latest verdict</h2>${verdict}</section>
<section aria-labelledby="errors"><h2 id="errors">File errors</h2>${errors}</section>
<section aria-labelledby="days"><h2 id="days">Last 30 days</h2>${strip}</section>
${dayPart}
<section aria-labelledby="numbers"><h2 id="numbers">The tool's numbers over time</h2>${charts}</section>
<section aria-labelledby="exc"><h2 id="exc">Exceptions that apply</h2>${exceptions}</section>
<section aria-labelledby="acks"><h2 id="acks">Acknowledgements</h2>${acks}</section>
<section aria-labelledby="audit"><h2 id="audit">Audit</h2>${audit}</section>
<section aria-labelledby="reports"><h2 id="reports">Reports</h2>${reports}</section>`,
  );
}
