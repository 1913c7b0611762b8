/**
 * Loads scenario and matrix files: YAML with positions → schema (defaults applied) → the matrix's
 * paths resolved against its catalog → cross-field rules → cells. Every problem in every file involved is reported at once, as one ConfigError
 * whose issues carry file:line:col and the field path.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../common/errors.js';
import { expandMatrix } from '../matrix/expand.js';
import { checkCatalog } from './catalog.js';
import { byPosition, type Checked, checkDocument, emptyFileIssue } from './check-document.js';
import { toConfigIssue, type YamlSource } from './locate.js';
import { matrixRules } from './matrix-rules.js';
import { describeValue } from './messages.js';
import { isUnder, resolveMatrix } from './resolve-paths.js';
import { scenarioRules } from './scenario-rules.js';
import { MatrixSchema, ScenarioSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import type { CatalogConfig, LoadedPlan, MatrixInput, ScenarioConfig } from './types.js';
import { type ParsedYaml, parseYaml, readYaml } from './yaml-source.js';

/** A validated file: a scenario alone, or a matrix with its scenario and cells. */
export type ValidatedFile =
  | { kind: 'Scenario'; file: string; scenario: ScenarioConfig }
  | { kind: 'Matrix'; file: string; plan: LoadedPlan }
  | { kind: 'Catalog'; file: string; catalog: CatalogConfig };

/** Issues of several files: each file's issues sorted by position, files in the order given. */
function ordered(...groups: ConfigIssue[][]): ConfigIssue[] {
  return groups.flatMap((group) => [...group].sort(byPosition));
}

function fail(...groups: ConfigIssue[][]): never {
  throw new ConfigError(ordered(...groups));
}

function checkScenario(parsed: ParsedYaml): Checked<ScenarioConfig> {
  return checkDocument(parsed, ScenarioSchema, 'Scenario', scenarioRules);
}

/** Parses scenario YAML text; `file` names it in issues. Throws ConfigError. */
export function parseScenario(text: string, file = '<scenario>'): ScenarioConfig {
  const checked = checkScenario(parseYaml(text, file));
  if (!checked.value) fail(checked.issues);
  return checked.value;
}

/** Loads and validates a scenario file. Throws ConfigError with every issue. */
export async function loadScenario(file: string): Promise<ScenarioConfig> {
  const checked = checkScenario(await readYaml(file));
  if (!checked.value) fail(checked.issues);
  return checked.value;
}

/** A file the matrix names (`scenario`, `catalog`), relative to the matrix file. */
function namedFile(matrixFile: string, data: unknown, field: 'scenario' | 'catalog'): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const value = (data as Record<string, unknown>)[field];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return isAbsolute(value) ? value : join(dirname(matrixFile), value);
}

async function readNamed(
  source: YamlSource,
  field: 'scenario' | 'catalog',
  file: string,
): Promise<{ parsed: ParsedYaml; missing?: ConfigIssue }> {
  const parsed = await readYaml(file);
  if (parsed.ok || !parsed.issues.some((i) => i.message === 'file not found')) return { parsed };
  const missing = toConfigIssue(source, {
    path: [field],
    message: `${field} file not found: ${file} (the path is relative to the matrix file)`,
  });
  return { parsed, missing };
}

/** The catalog the matrix names, checked; nothing when it names none. */
async function checkNamedCatalog(
  source: YamlSource,
  file: string | undefined,
): Promise<Checked<CatalogConfig> & { file?: string }> {
  if (file === undefined) return { issues: [] };
  const { parsed, missing } = await readNamed(source, 'catalog', file);
  if (missing) return { file, issues: [missing] };
  return { file, ...checkCatalog(parsed) };
}

async function checkMatrix(file: string, parsed: ParsedYaml): Promise<LoadedPlan> {
  if (!parsed.ok) fail(parsed.issues);
  const { source } = parsed;
  const matrix = checkDocument<MatrixInput>(parsed, MatrixSchema, 'Matrix', () => []);
  const scenarioFile = namedFile(file, parsed.data, 'scenario');
  const catalog = await checkNamedCatalog(source, namedFile(file, parsed.data, 'catalog'));
  if (scenarioFile === undefined) fail(matrix.issues, catalog.issues);
  const named = await readNamed(source, 'scenario', scenarioFile);
  if (named.missing) fail([...matrix.issues, named.missing], catalog.issues);
  const scenario = checkScenario(named.parsed);
  if (!matrix.value || !scenario.value || (catalog.file !== undefined && !catalog.value))
    fail(matrix.issues, scenario.issues, catalog.issues);
  const resolved = resolveMatrix(matrix.value, catalog.value);
  const context = { input: matrix.value, ...(catalog.value ? { catalog: catalog.value } : {}) };
  // Rules about a path that could not be resolved would only repeat its problem.
  const rules = matrixRules(resolved.matrix, scenario.value, context).filter(
    (p) => !isUnder(p.path, resolved.unresolved) && !(resolved.unresolved.length > 0 && isMatchPath(p.path)),
  );
  const ruleIssues = [...resolved.problems, ...rules].map((p) => toConfigIssue(source, p));
  if (ruleIssues.length > 0) fail(ruleIssues);
  const cells = expandMatrix(resolved.matrix);
  if (cells.length === 0) {
    fail([
      toConfigIssue(source, {
        path: ['axes'],
        message:
          'the matrix has no cells: every combination is excluded or pairs a platform with a method it cannot run',
      }),
    ]);
  }
  return {
    matrixFile: file,
    scenarioFile,
    matrix: resolved.matrix,
    scenario: scenario.value,
    ...(catalog.file !== undefined && catalog.value
      ? { catalogFile: catalog.file, catalog: catalog.value }
      : {}),
    cells,
  };
}

/** `exclude[i].path…` or `expect[i].match.path…`: a match's path, checked against the axes' paths. */
function isMatchPath(path: readonly PropertyKey[]): boolean {
  return (
    (path[0] === 'exclude' && path[2] === 'path') ||
    (path[0] === 'expect' && path[2] === 'match' && path[3] === 'path')
  );
}

/** Loads a matrix, its scenario (relative to the matrix file) and expands the cells. */
export async function loadMatrix(file: string): Promise<LoadedPlan> {
  return checkMatrix(file, await readYaml(file));
}

/** Validates a scenario, matrix or catalog file, telling them apart by `kind`; a matrix's scenario and catalog too. */
export async function validateFile(file: string): Promise<ValidatedFile> {
  const parsed = await readYaml(file);
  if (!parsed.ok) fail(parsed.issues);
  const data = parsed.data;
  const kind = typeof data === 'object' && data !== null ? (data as { kind?: unknown }).kind : undefined;
  if (kind === 'Matrix') return { kind: 'Matrix', file, plan: await checkMatrix(file, parsed) };
  if (kind === 'Scenario') {
    const checked = checkScenario(parsed);
    if (!checked.value) fail(checked.issues);
    return { kind: 'Scenario', file, scenario: checked.value };
  }
  if (kind === 'Catalog') {
    const checked = checkCatalog(parsed);
    if (!checked.value) fail(checked.issues);
    return { kind: 'Catalog', file, catalog: checked.value };
  }
  if (data === null || data === undefined) fail([emptyFileIssue(parsed.source, 'Scenario or Matrix')]);
  const message =
    kind === undefined
      ? 'required field is missing (expected Scenario or Matrix)'
      : `expected one of: Scenario, Matrix, Catalog; got ${describeValue(kind)}${typeof kind === 'string' ? didYouMean(kind, ['Scenario', 'Matrix', 'Catalog']) : ''}`;
  fail([toConfigIssue(parsed.source, { path: ['kind'], message })]);
}
