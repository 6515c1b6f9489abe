import { html, type Html } from '../html.ts';

/** The one stylesheet, served from /web/style.css (the pages allow no inline styles or scripts). */
export const STYLESHEET = `
:root{--fg:#1b1b1b;--muted:#595959;--line:#d0d0d0;--bg:#fff;--accent:#0b57a4}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:#f6f7f9}
header.top .brand{font-weight:700;margin-right:1rem}
header.top nav a{margin-right:1rem}
a{color:var(--accent)}
main{padding:1rem;max-width:100%}
h1{font-size:1.4rem;margin:.2rem 0 .8rem}
h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
.tablewrap{overflow-x:auto}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0 1rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
form.filters select,form.filters input,form.filters button{font:inherit;padding:.25rem .4rem}
.pager{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1rem;list-style:none;padding:0;margin:.5rem 0 1rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.legend .c{width:16px;height:16px;display:inline-flex}
.heat{overflow-x:auto}
.heat h2{font-size:1rem;margin:1rem 0 .2rem}
.hrow{display:grid;grid-template-columns:minmax(7rem,11rem) 1fr;align-items:center;gap:.5rem}
.hrow .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:.85rem;position:sticky;left:0;background:var(--bg)}
.cells{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(9px,1fr);gap:1px;min-width:0}
.axis{font-size:.7rem;color:var(--muted)}
.axis .cells span{overflow:hidden;white-space:nowrap;text-align:center}
.axis.sparse .cells span{overflow:visible;text-align:left}
.c{display:flex;align-items:center;justify-content:center;height:16px;min-width:9px;font-size:10px;line-height:1;text-decoration:none;color:#000;border:1px solid transparent}
a.c:focus{outline:2px solid #000;outline-offset:1px}
.c.o{background:#009E73}
.c.e{background:#56B4E9 radial-gradient(circle,#000 1px,transparent 1.5px) 0 0/5px 5px}
.c.f{background:#D55E00 repeating-linear-gradient(45deg,transparent 0 3px,rgba(0,0,0,.45) 3px 4px)}
.c.i{background:#E69F00 repeating-linear-gradient(0deg,transparent 0 3px,rgba(0,0,0,.4) 3px 4px)}
.c.m{background:#CC79A7 repeating-linear-gradient(90deg,transparent 0 3px,rgba(0,0,0,.4) 3px 4px)}
.c.a{background:#F0E442;border-color:#7a6f00}
.c.p{background:#bbb repeating-linear-gradient(-45deg,transparent 0 2px,#fff 2px 4px)}
.c.n{background:#fff;border-color:#bbb}
.c.b{background:transparent}
.state{display:inline-block;padding:.05rem .45rem;border-radius:3px;font-weight:600;color:#000}
.state.ok{background:#009E73;color:#fff}.state.failed,.state.suspect{background:#D55E00;color:#000}.state.incomplete{background:#E69F00}
.state.missing{background:#CC79A7}.state.waiting,.state.paused{background:#ddd}
.strip{display:flex;gap:2px;flex-wrap:wrap;margin:.3rem 0}
.strip .c{width:18px;height:18px}
.excepted{color:var(--muted)}
.chart{max-width:640px;width:100%;height:auto}
.hint{background:#f6f7f9;border-left:4px solid var(--accent);padding:.5rem .8rem}
.signin{max-width:34rem}
@media (max-width:600px){main{padding:.6rem}.hrow{grid-template-columns:6.5rem 1fr}th,td{padding:.25rem}}
`;

export interface PageOptions {
  title: string;
  /** Which navigation link is current. */
  current?: 'history' | 'nightly' | 'digest' | 'server';
  signedIn?: boolean;
}

/** The page frame: language, viewport, title, navigation and the stylesheet. */
export function layout(opts: PageOptions, body: Html): Html {
  const nav = (key: PageOptions['current'], href: string, text: string) =>
    html`<a href="${href}"${key === opts.current ? html` aria-current="page"` : ''}>${text}</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · backupbot</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/web/style.css"></head>
<body><header class="top"><span class="brand">backupbot</span>${
    opts.signedIn === false
      ? ''
      : html`<nav aria-label="Reports">${nav('history', '/reports/history', 'History')}${nav('nightly', '/reports/nightly', 'Nightly')}${nav('digest', '/reports/digest', 'Failure digest')}</nav>`
  }</header>
<main id="main">${body}</main></body></html>`;
}
