import { html, raw, seg, escapeHtml, type Html } from '../html.ts';
import { CELL_KINDS, STATE_FILTERS, type CellKind, type CustomerGroup } from './history-model.ts';
import { layout } from './layout.ts';

export interface HistoryView {
  groups: CustomerGroup[];
  /** What the window is: "November 2026" or "2026 (by week)". */
  windowLabel: string;
  /** Axis labels: one per bucket (day of month, or ISO week start). */
  axis: string[];
  filters: { customer?: string | undefined; state?: string | undefined; target?: string | undefined; month?: string | undefined; year?: string | undefined };
  customers: string[];
  targets: string[];
  total: number;
  page: number;
  pages: number;
  /** Query strings (already built) for the neighbouring windows and pages, or null. */
  links: { prevWindow: string | null; nextWindow: string | null; zoom: { label: string; href: string }; prevPage: string | null; nextPage: string | null };
}

const LEGEND: CellKind[] = ['ok', 'exc', 'failed', 'incomplete', 'missing', 'ack', 'paused', 'none'];
const STATE_LABEL: Record<(typeof STATE_FILTERS)[number], string> = {
  ok: 'ok',
  'ok-exceptions': 'ok by exceptions',
  failed: 'failed',
  incomplete: 'incomplete',
  missing: 'missing',
  suspect: 'suspect',
  acknowledged: 'acknowledged',
  paused: 'paused',
};

function option(value: string, label: string, selected: string | undefined): Html {
  return html`<option value="${value}"${selected === value ? html` selected` : ''}>${label}</option>`;
}

/**
 * The history heatmap: one row per server, grouped by customer, one cell per day (month) or
 * week (year). Cells are links with a title (day, state, code, meaning) that is also their
 * accessible name; the markup is kept small because a page can hold 60,000 cells. Pure.
 */
export function historyPage(v: HistoryView): Html {
  const f = v.filters;
  const form = html`<form class="filters" method="get" action="/reports/history">
<label>Customer<select name="customer"><option value="">All customers</option>${v.customers.map((c) => option(c, c, f.customer))}</select></label>
<label>State<select name="state"><option value="">Any state</option>${STATE_FILTERS.map((s) => option(s, STATE_LABEL[s], f.state))}</select></label>
<label>Backup target<select name="target"><option value="">All targets</option>${v.targets.map((t) => option(t, t, f.target))}</select></label>
${f.year ? html`<input type="hidden" name="year" value="${f.year}">` : html`<input type="hidden" name="month" value="${f.month ?? ''}">`}
<button type="submit">Show</button></form>`;
  const legend = html`<ul class="legend" aria-label="Legend">${LEGEND.map(
    (k) => html`<li><span class="c ${CELL_KINDS[k].cls}" aria-hidden="true">${CELL_KINDS[k].glyph}</span>${CELL_KINDS[k].label}</li>`,
  )}</ul>`;
  const nav = html`<nav class="pager" aria-label="Time">
${v.links.prevWindow ? html`<a href="${v.links.prevWindow}" rel="prev">← Earlier</a>` : ''}
<strong>${v.windowLabel}</strong>
${v.links.nextWindow ? html`<a href="${v.links.nextWindow}" rel="next">Later →</a>` : ''}
<a href="${v.links.zoom.href}">${v.links.zoom.label}</a></nav>`;
  const pager =
    v.pages > 1
      ? html`<nav class="pager" aria-label="Servers">${v.links.prevPage ? html`<a href="${v.links.prevPage}">← Previous servers</a>` : ''}<span>Page ${v.page} of ${v.pages}</span>${
          v.links.nextPage ? html`<a href="${v.links.nextPage}">Next servers →</a>` : ''
        }</nav>`
      : '';
  const axis = html`<div class="hrow axis${f.year ? ' sparse' : ''}" aria-hidden="true"><span class="name"></span><div class="cells">${raw(v.axis.map((a) => `<span>${escapeHtml(a)}</span>`).join(''))}</div></div>`;
  const body = v.groups.length
    ? v.groups.map((g) => html`<section><h2>${g.customer}</h2>${axis}${raw(g.rows.map(rowMarkup).join(''))}</section>`)
    : html`<p>No server matches these filters in this period.</p>`;
  return layout(
    { title: `History · ${v.windowLabel}`, current: 'history' },
    html`<h1>Backup history</h1>
<p class="muted">${v.total} server${v.total === 1 ? '' : 's'}. Each cell is ${f.year ? 'a week (its worst day)' : 'a day'}; hover or focus it for the code and meaning, open it for that server on that day.</p>
${form}${legend}${nav}${pager}<div class="heat">${body}</div>${pager}`,
  );
}

/** One server's row, as a string: this is the hot loop of the page, so no template objects per cell. */
function rowMarkup(r: CustomerGroup['rows'][number]): string {
  const name = escapeHtml(r.server.name);
  const base = `/servers/${escapeHtml(seg(r.linkName))}?day=`;
  let cells = '';
  for (const c of r.cells) {
    if (c.kind === 'blank') {
      cells += '<span class="c b"></span>';
      continue;
    }
    const k = CELL_KINDS[c.kind];
    cells += `<a class="c ${k.cls}" href="${base}${c.resultDay ?? c.day}" title="${escapeHtml(c.title)}">${k.glyph}</a>`;
  }
  const removed = r.server.removedAt ? ' (removed)' : '';
  return `<div class="hrow"><a class="name" href="/servers/${escapeHtml(seg(r.linkName))}">${name}${removed}</a><div class="cells">${cells}</div></div>`;
}
