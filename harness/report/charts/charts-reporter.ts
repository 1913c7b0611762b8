import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import type { RunRecord } from '../../common/run-record.js';
import type { CellChartRenderer, Reporter } from '../reporter.js';
import { writeTextFile } from '../write-text-file.js';
import { CHARTS_DIR, cellDirIn } from './cell-dir.js';
import { renderCellCharts } from './render-cell-charts.js';
import { svgToPng } from './svg-to-png.js';

/** Twice the SVG's width: sharp on high-density screens and in print. */
export const DEFAULT_PNG_WIDTH_PX = 1920;

export interface ChartsReporterOptions {
  renderer?: CellChartRenderer;
  pngWidthPx?: number;
}

/**
 * Plots for publication: every chart of every cell as `<artifactsDir>/charts/<name>.svg` and `.png`.
 * Cells without a timeline get none.
 */
export class ChartsReporter implements Reporter {
  readonly name = 'charts';
  readonly #renderer: CellChartRenderer;
  readonly #pngWidthPx: number;

  constructor(options: ChartsReporterOptions = {}) {
    this.#renderer = options.renderer ?? renderCellCharts;
    this.#pngWidthPx = options.pngWidthPx ?? DEFAULT_PNG_WIDTH_PX;
  }

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const cell of record.cells) {
      // A cell that never started has no folder of its own; its charts are in index.html anyway.
      if (cell.artifactsDir === '') continue;
      const charts = this.#renderer(cell, record);
      if (charts.length === 0) continue;
      const cellDir = cellDirIn(dir, cell.artifactsDir);
      if (cellDir === null) {
        throw new InfraError(
          `cell ${cell.id}: artifactsDir ${JSON.stringify(cell.artifactsDir)} is outside ${dir}`,
        );
      }
      for (const chart of charts) {
        const base = join(cellDir, CHARTS_DIR, chart.name);
        await writeTextFile(`${base}.svg`, chart.svg);
        await writeTextFile(`${base}.png`, svgToPng(chart.svg, this.#pngWidthPx));
        written.push(`${base}.svg`, `${base}.png`);
      }
    }
    return written;
  }
}
