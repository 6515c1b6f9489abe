import { Resvg } from '@resvg/resvg-js';

/** Renders an SVG document to PNG bytes (resvg ships a prebuilt binary per platform in its npm package). */
export function svgToPng(svg: string): Buffer {
  return Buffer.from(new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
}
