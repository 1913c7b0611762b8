export { type JsonSchema, matrixJsonSchema, scenarioJsonSchema, schemaFiles } from './json-schema.js';
export { loadMatrix, loadScenario, parseScenario, type ValidatedFile, validateFile } from './load.js';
export { formatPath } from './locate.js';
export {
  API_VERSION,
  CONNECTION_MODES,
  HTTP_METHODS,
  MatrixSchema,
  METHOD_NAMES,
  PLATFORM_NAMES,
  ROLLBACK_POLICIES,
  ScenarioSchema,
  STRATEGY_NAMES,
} from './schema.js';
export { splitCommand } from './schema-parts.js';
export type * from './types.js';
