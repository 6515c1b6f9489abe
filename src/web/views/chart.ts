import { html, raw, type Html } from '../html.ts';

export interface Point {
  at: Date;
  value: number;
}

/**
 * A small line chart as inline SVG (no script, no library): the series over time with its
 * first and last dates, its minimum and maximum, and a text alternative for screen readers.
 * Pure.
 */
export function lineChart(title: string, points: Point[], format: (n: number) => string): Html {
  if (points.length === 0) return html`<p class="muted">${title}: no numbers in the reports yet.</p>`;
  const W = 600;
  const H = 120;
  const pad = { l: 70, r: 10, t: 10, b: 22 };
  const t0 = points[0]!.at.getTime();
  const t1 = points[points.length - 1]!.at.getTime();
  const values = points.map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (t: number) => pad.l + (t1 === t0 ? (W - pad.l - pad.r) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r));
  const y = (v: number) => pad.t + (hi === lo ? (H - pad.t - pad.b) / 2 : (1 - (v - lo) / (hi - lo)) * (H - pad.t - pad.b));
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at.getTime()).toFixed(1)} ${y(p.value).toFixed(1)}`).join(' ');
  const dots = points.length <= 60 ? points.map((p) => `<circle cx="${x(p.at.getTime()).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.5" fill="#0b57a4"/>`).join('') : '';
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const last = points[points.length - 1]!;
  const summary = `${title}: ${points.length} reports from ${day(points[0]!.at)} to ${day(last.at)}, between ${format(lo)} and ${format(hi)}, latest ${format(last.value)}.`;
  return html`<figure><svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}"><title>${summary}</title>
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/>
<text x="${pad.l - 6}" y="${pad.t + 8}" text-anchor="end" font-size="11" fill="#333">${format(hi)}</text>
<text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end" font-size="11" fill="#333">${format(lo)}</text>
<text x="${pad.l}" y="${H - 6}" font-size="11" fill="#333">${day(points[0]!.at)}</text>
<text x="${W - pad.r}" y="${H - 6}" text-anchor="end" font-size="11" fill="#333">${day(last.at)}</text>
<path d="${path}" fill="none" stroke="#0b57a4" stroke-width="2"/>${raw(dots)}</svg><figcaption>${title} · latest ${format(last.value)}</figcaption></figure>`;
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const count = (n: number) => Math.round(n).toLocaleString('en-US');
