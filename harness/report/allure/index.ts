export { CELL_LOG_FILE, DEFAULT_MAX_LOG_BYTES } from './allure-attachments.js';
export { allureCategories, categoryMessageRegex, type MessageTag } from './allure-categories.js';
export {
  ALLURE_RESULTS_DIR,
  AllureReporter,
  type AllureReporterOptions,
  allureEnvironment,
  allureExecutor,
} from './allure-reporter.js';
export { cellAllureStatus, cellStatusMessage } from './allure-status.js';
export { cellDescription, cellTestResult, cellTitle } from './allure-test-result.js';
