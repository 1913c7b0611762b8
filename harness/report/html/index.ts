export { ChartsReporter, renderCellCharts, svgToPng } from '../charts/index.js';
export type { ArtifactFile } from './cell-details.js';
export { HTML_FILE, HtmlReporter, type HtmlReporterOptions } from './html-reporter.js';
export { type CellExtras, renderHtmlReport } from './render-html.js';
