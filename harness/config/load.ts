/**
 * Loads scenario and matrix files: YAML with positions → schema (defaults applied) → cross-field
 * rules → cells. Every problem in every file involved is reported at once, as one ConfigError
 * whose issues carry file:line:col and the field path.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../common/errors.js';
import { expandMatrix } from '../matrix/expand.js';
import { toConfigIssue, type YamlSource } from './locate.js';
import { matrixRules } from './matrix-rules.js';
import { configErrorMap, describeValue } from './messages.js';
import { scenarioRules } from './scenario-rules.js';
import { MatrixSchema, ScenarioSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import type { LoadedPlan, MatrixConfig, ScenarioConfig } from './types.js';
import { type ParsedYaml, parseYaml, readYaml } from './yaml-source.js';
import { problemsFromZod } from './zod-issues.js';

interface Checked<T> {
  value?: T;
  issues: ConfigIssue[];
}

/** A validated file: a scenario alone, or a matrix with its scenario and cells. */
export type ValidatedFile =
  | { kind: 'Scenario'; file: string; scenario: ScenarioConfig }
  | { kind: 'Matrix'; file: string; plan: LoadedPlan };

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

/** Issues of several files: each file's issues sorted by position, files in the order given. */
function ordered(...groups: ConfigIssue[][]): ConfigIssue[] {
  return groups.flatMap((group) => [...group].sort(byPosition));
}

function fail(...groups: ConfigIssue[][]): never {
  throw new ConfigError(ordered(...groups));
}

function emptyFileIssue(source: YamlSource, kind: string): ConfigIssue {
  return {
    file: source.file,
    line: 1,
    column: 1,
    path: '',
    message: `the file is empty; expected a ${kind} document`,
  };
}

function checkDocument<T>(
  parsed: ParsedYaml,
  schema: z.ZodType<T>,
  kind: 'Scenario' | 'Matrix',
  rules: (value: T) => ReturnType<typeof scenarioRules>,
): Checked<T> & { source?: YamlSource } {
  if (!parsed.ok) return { issues: parsed.issues };
  const { source, data } = parsed;
  const issues = [...parsed.issues];
  if (data === null || data === undefined)
    return { source, issues: [...issues, emptyFileIssue(source, kind)] };
  const result = schema.safeParse(data, { error: configErrorMap, reportInput: true });
  if (!result.success) {
    const problems = problemsFromZod(result.error, schema, data);
    return { source, issues: [...issues, ...problems.map((p) => toConfigIssue(source, p))] };
  }
  issues.push(...rules(result.data).map((p) => toConfigIssue(source, p)));
  return issues.length > 0 ? { source, issues } : { source, value: result.data, issues };
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

function scenarioPathOf(matrixFile: string, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const scenario = (data as { scenario?: unknown }).scenario;
  if (typeof scenario !== 'string' || scenario.trim() === '') return undefined;
  return isAbsolute(scenario) ? scenario : join(dirname(matrixFile), scenario);
}

async function checkMatrix(file: string, parsed: ParsedYaml): Promise<LoadedPlan> {
  if (!parsed.ok) fail(parsed.issues);
  const matrix = checkDocument<MatrixConfig>(parsed, MatrixSchema, 'Matrix', () => []);
  const scenarioFile = scenarioPathOf(file, parsed.data);
  if (scenarioFile === undefined) fail(matrix.issues);
  const scenarioYaml = await readYaml(scenarioFile);
  if (!scenarioYaml.ok && scenarioYaml.issues.some((i) => i.message === 'file not found')) {
    const issue = toConfigIssue(parsed.source, {
      path: ['scenario'],
      message: `scenario file not found: ${scenarioFile} (the path is relative to the matrix file)`,
    });
    fail([...matrix.issues, issue]);
  }
  const scenario = checkScenario(scenarioYaml);
  if (!matrix.value || !scenario.value) fail(matrix.issues, scenario.issues);
  const ruleIssues = matrixRules(matrix.value, scenario.value).map((p) => toConfigIssue(parsed.source, p));
  if (ruleIssues.length > 0) fail(ruleIssues);
  const cells = expandMatrix(matrix.value);
  if (cells.length === 0) {
    fail([
      toConfigIssue(parsed.source, {
        path: ['axes'],
        message:
          'the matrix has no cells: every combination is excluded or pairs a platform with a method it cannot run',
      }),
    ]);
  }
  return { matrixFile: file, scenarioFile, matrix: matrix.value, scenario: scenario.value, cells };
}

/** Loads a matrix, its scenario (relative to the matrix file) and expands the cells. */
export async function loadMatrix(file: string): Promise<LoadedPlan> {
  return checkMatrix(file, await readYaml(file));
}

/** Validates a scenario or matrix file, telling them apart by `kind`; a matrix's scenario too. */
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
  if (data === null || data === undefined) fail([emptyFileIssue(parsed.source, 'Scenario or Matrix')]);
  const message =
    kind === undefined
      ? 'required field is missing (expected Scenario or Matrix)'
      : `expected one of: Scenario, Matrix; got ${describeValue(kind)}${typeof kind === 'string' ? didYouMean(kind, ['Scenario', 'Matrix']) : ''}`;
  fail([toConfigIssue(parsed.source, { path: ['kind'], message })]);
}
