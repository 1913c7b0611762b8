import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import type { CellChartRenderer, Reporter } from '../reporter.js';
import { writeTextFile } from '../write-text-file.js';
import { CHARTS_DIR, cellDirIn, realPathInside } from './cell-dir.js';
import { CHARTS_ERROR_FILE, chartsErrorText } from './chart-error.js';
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
 * Cells without a timeline get none. A cell whose charts cannot be drawn gets
 * `charts/charts-error.txt` saying why instead, and the other cells still get theirs.
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
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for (const cell of record.cells) {
      // A cell that never started has no folder of its own; its charts are in index.html anyway.
      if (cell.artifactsDir === '') continue;
      const drawn = this.#draw(cell, record);
      if (drawn.length === 0) continue;
      const chartsDir = await chartsDirOf(dir, cell);
      const failed = drawn.some((f) => f.file === CHARTS_ERROR_FILE);
      // A note from an earlier attempt must not outlive charts drawn now.
      if (!failed) await rm(join(chartsDir, CHARTS_ERROR_FILE), { force: true });
      for (const { file, content } of drawn) {
        const path = join(chartsDir, file);
        await writeTextFile(path, content);
        written.push(path);
      }
    }
    return written;
  }

  /** The cell's chart files, or the note saying why there are none; never throws. */
  #draw(cell: CellRecord, record: RunRecord): Array<{ file: string; content: string | Buffer }> {
    try {
      return this.#renderer(cell, record).flatMap((chart) => [
        { file: `${chart.name}.svg`, content: chart.svg },
        { file: `${chart.name}.png`, content: svgToPng(chart.svg, this.#pngWidthPx) },
      ]);
    } catch (error: unknown) {
      return [{ file: CHARTS_ERROR_FILE, content: `${chartsErrorText(error)}\n` }];
    }
  }
}

/** `<artifactsDir>/charts` of the cell, refused when it (or a link on the way) leads outside the run directory. */
async function chartsDirOf(dir: string, cell: CellRecord): Promise<string> {
  const cellDir = cellDirIn(dir, cell.artifactsDir);
  const chartsDir = cellDir === null ? null : join(cellDir, CHARTS_DIR);
  if (chartsDir === null || (await realPathInside(dir, chartsDir)) === null) {
    throw new InfraError(
      `cell ${cell.id}: artifactsDir ${JSON.stringify(cell.artifactsDir)} leads outside ${dir} (by its path or a symbolic link)`,
    );
  }
  return chartsDir;
}
