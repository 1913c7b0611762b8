export { CHARTS_DIR, cellDirIn } from './cell-dir.js';
export { ChartsReporter, type ChartsReporterOptions, DEFAULT_PNG_WIDTH_PX } from './charts-reporter.js';
export { renderCellCharts } from './render-cell-charts.js';
export { svgToPng } from './svg-to-png.js';
