export { JsonReporter, RUN_JSON_FILE, readRunRecord, serializeRunRecord } from './json-reporter.js';
export { JUNIT_FILE, JunitReporter, renderJunit } from './junit-reporter.js';
export { MarkdownReporter, renderMarkdownSummary, SUMMARY_FILE } from './markdown-reporter.js';
export {
  createReporterRegistry,
  DEFAULT_REPORTERS,
  type Reporter,
  type ReporterRegistry,
  writeReports,
} from './reporter.js';
