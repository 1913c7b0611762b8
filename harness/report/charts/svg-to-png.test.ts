import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRunRecord, downtimeFailedCell } from '../../testing/run-record-builder.js';
import { renderCellCharts } from './render-cell-charts.js';
import { svgToPng } from './svg-to-png.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which always comes first. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('svgToPng', () => {
  it('rasterizes a chart at the asked width, keeping its aspect ratio', () => {
    const cell = downtimeFailedCell();
    const [chart] = renderCellCharts(cell, buildRunRecord({ cells: [cell] }));
    if (!chart) throw new Error('no chart');
    const png = svgToPng(chart.svg, 1200);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ width: 1200, height: 400 });
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('draws text with a system font', () => {
    expect(existsSync('/usr/share/fonts'), 'no fonts under /usr/share/fonts: install fonts-liberation').toBe(
      true,
    );
    const blank =
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" viewBox="0 0 300 40"></svg>';
    const text = blank.replace(
      '></svg>',
      '><text x="4" y="28" style="font-size:20px;font-family:sans-serif">seconds since cell start</text></svg>',
    );
    // A blank image compresses to almost nothing; drawn glyphs do not.
    expect(svgToPng(text, 300).length).toBeGreaterThan(svgToPng(blank, 300).length + 500);
  });
});
