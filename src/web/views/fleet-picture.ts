import { escapeHtml } from '../html.ts';
import type { DayCounts } from '../history-query.ts';

/** Bar segments bottom-up: good at the bottom, the problems stacked on top where the eye lands. */
const SEGMENTS = [
  { key: 'ok', label: 'ok', fill: '#009E73', pattern: null },
  { key: 'exc', label: 'ok by exceptions', fill: '#56B4E9', pattern: 'dots' },
  { key: 'missing', label: 'missing', fill: '#CC79A7', pattern: 'vlines' },
  { key: 'incomplete', label: 'incomplete', fill: '#E69F00', pattern: 'hlines' },
  { key: 'failed', label: 'failed', fill: '#D55E00', pattern: 'hatch' },
] as const;

const PATTERNS = `<defs>
<pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse"><circle cx="3" cy="3" r="1.2" fill="#000"/></pattern>
<pattern id="vlines" width="5" height="5" patternUnits="userSpaceOnUse"><rect x="3" width="1.2" height="5" fill="#000" fill-opacity=".45"/></pattern>
<pattern id="hlines" width="5" height="5" patternUnits="userSpaceOnUse"><rect y="3" width="5" height="1.2" fill="#000" fill-opacity=".45"/></pattern>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect x="4" width="1.5" height="6" fill="#000" fill-opacity=".5"/></pattern>
</defs>`;

/**
 * The fleet's last days as a stacked bar chart (one bar per day, servers by state), as SVG
 * for the PNG in the nightly thread. Colours and patterns match the web heatmap, so a
 * state is never told by colour alone. Pure.
 */
export function fleetPictureSvg(days: DayCounts[], title: string): string {
  const W = 900;
  const H = 420;
  const pad = { l: 56, r: 16, t: 52, b: 64 };
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const totals = days.map((d) => SEGMENTS.reduce((n, s) => n + d[s.key], 0));
  const max = Math.max(1, ...totals);
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, slot * 0.8);
  let bars = '';
  days.forEach((d, i) => {
    let y = pad.t + plotH;
    const x = pad.l + i * slot + (slot - barW) / 2;
    for (const s of SEGMENTS) {
      const n = d[s.key];
      if (!n) continue;
      const h = (n / max) * plotH;
      y -= h;
      bars += `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.fill}"/>`;
      if (s.pattern) bars += `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="url(#${s.pattern})"/>`;
    }
    if (i % 5 === 0 || i === days.length - 1) {
      bars += `<text x="${(x + barW / 2).toFixed(1)}" y="${pad.t + plotH + 16}" font-size="11" text-anchor="middle" fill="#333">${d.day.slice(5)}</text>`;
    }
  });
  const legend = SEGMENTS.map((s, i) => {
    const x = pad.l + i * 160;
    const y = H - 22;
    return `<rect x="${x}" y="${y - 11}" width="14" height="14" fill="${s.fill}"/>${s.pattern ? `<rect x="${x}" y="${y - 11}" width="14" height="14" fill="url(#${s.pattern})"/>` : ''}<text x="${x + 20}" y="${y}" font-size="13" fill="#222">${s.label}</text>`;
  }).join('');
  const last = days[days.length - 1];
  const problems = last ? last.failed + last.incomplete + last.missing : 0;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${PATTERNS}
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${pad.l}" y="24" font-size="18" font-weight="bold" fill="#111">${escapeHtml(title)}</text>
<text x="${pad.l}" y="42" font-size="12" fill="#444">Servers by state per day${last ? ` · ${last.day}: ${problems} with a problem` : ''}</text>
<line x1="${pad.l}" y1="${pad.t + plotH}" x2="${W - pad.r}" y2="${pad.t + plotH}" stroke="#888"/>
<text x="${pad.l - 6}" y="${pad.t + 10}" font-size="11" text-anchor="end" fill="#333">${max}</text>
<text x="${pad.l - 6}" y="${pad.t + plotH}" font-size="11" text-anchor="end" fill="#333">0</text>
${bars}${legend}</svg>`;
}
