import { join } from 'node:path';
import type { RunRecord } from '../../common/run-record.js';
import { renderCellCharts } from '../charts/render-cell-charts.js';
import type { CellChartRenderer, Reporter } from '../reporter.js';
import { writeTextFile } from '../write-text-file.js';
import { listArtifactFiles } from './artifact-files.js';
import { renderHtmlReport } from './render-html.js';

export const HTML_FILE = 'index.html';

export interface HtmlReporterOptions {
  renderer?: CellChartRenderer;
}

/**
 * `index.html`: a self-contained page with the matrix overview and, per cell, its checks, timeline
 * charts (inline SVG), the load generator's self-check and links to the cell's files that exist.
 */
export class HtmlReporter implements Reporter {
  readonly name = 'html';
  readonly #renderer: CellChartRenderer;

  constructor(options: HtmlReporterOptions = {}) {
    this.#renderer = options.renderer ?? renderCellCharts;
  }

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const extras = [];
    for (const cell of record.cells) {
      extras.push({ charts: this.#renderer(cell, record), files: await listArtifactFiles(dir, cell) });
    }
    const path = join(dir, HTML_FILE);
    await writeTextFile(path, renderHtmlReport(record, extras));
    return [path];
  }
}
