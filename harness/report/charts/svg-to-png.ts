import { Resvg } from '@resvg/resvg-js';

/**
 * The font for `sans-serif` (the family echarts writes): metric-compatible with Arial, which is what
 * echarts' text layout assumes. Without it resvg falls back to any installed font.
 */
const SANS_SERIF = 'Liberation Sans';

/**
 * Rasterizes an SVG to a PNG `widthPx` wide (height from the aspect ratio), with the system's fonts
 * (nothing is fetched). Text needs a font on the machine (Debian: fonts-liberation or fonts-dejavu-core).
 */
export function svgToPng(svg: string, widthPx: number): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: Math.round(widthPx) },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: SANS_SERIF, sansSerifFamily: SANS_SERIF },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
