export {
  type BenchReportOptions,
  benchReport,
  DEFAULT_BENCH_REPORT_OPTIONS,
  renderBenchReport,
} from './bench-report.js';
export { buildCapacityTable, CAPACITY_METRICS, type CapacityRow, type CapacityTable } from './capacity.js';
export { capacityCsv, capacityMarkdown } from './capacity-render.js';
export {
  buildComparison,
  type Comparison,
  type ComparisonOptions,
  type ComparisonRow,
} from './comparison.js';
export { comparisonCsv, comparisonMarkdown } from './comparison-render.js';
export { type BenchPlot, benchPlots } from './plots.js';
export { readBenchRuns } from './read-runs.js';
