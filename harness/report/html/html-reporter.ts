import { join } from 'node:path';
import type { RunRecord } from '../../common/run-record.js';
import { chartsErrorText } from '../charts/chart-error.js';
import { renderCellCharts } from '../charts/render-cell-charts.js';
import type { CellChart, CellChartRenderer, Reporter } from '../reporter.js';
import { writeTextFile } from '../write-text-file.js';
import { listArtifactFiles } from './artifact-files.js';
import { type CellExtras, renderHtmlReport } from './render-html.js';

export const HTML_FILE = 'index.html';

export interface HtmlReporterOptions {
  renderer?: CellChartRenderer;
}

/**
 * `index.html`: a self-contained page with the matrix overview and, per cell, its checks, timeline
 * charts (inline SVG), the load generator's self-check and links to the cell's files that exist.
 * A cell whose charts cannot be drawn says so where they would be; the page is written anyway.
 */
export class HtmlReporter implements Reporter {
  readonly name = 'html';
  readonly #renderer: CellChartRenderer;

  constructor(options: HtmlReporterOptions = {}) {
    this.#renderer = options.renderer ?? renderCellCharts;
  }

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const extras: CellExtras[] = [];
    for (const cell of record.cells) {
      let charts: readonly CellChart[] = [];
      let chartsError: string | undefined;
      try {
        charts = this.#renderer(cell, record);
      } catch (error: unknown) {
        chartsError = chartsErrorText(error);
      }
      const files = await listArtifactFiles(dir, cell);
      extras.push({ charts, files, ...(chartsError === undefined ? {} : { chartsError }) });
    }
    const path = join(dir, HTML_FILE);
    await writeTextFile(path, renderHtmlReport(record, extras));
    return [path];
  }
}
