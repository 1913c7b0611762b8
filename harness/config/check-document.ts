/**
 * One YAML document through its schema (defaults applied) and its cross-field rules, with every
 * problem located as file:line:col. Shared by scenario, matrix and catalog files.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../common/errors.js';
import { toConfigIssue, type YamlSource } from './locate.js';
import { configErrorMap } from './messages.js';
import type { ParsedYaml } from './yaml-source.js';
import { type ConfigProblem, problemsFromZod } from './zod-issues.js';

/** A checked document: its value when it has no issue. */
export interface Checked<T> {
  value?: T;
  issues: ConfigIssue[];
}

/** Issues in file order. */
export function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

export type DocumentKind = 'Scenario' | 'Matrix' | 'Catalog' | 'Scenario or Matrix';

export function emptyFileIssue(source: YamlSource, kind: DocumentKind): ConfigIssue {
  return {
    file: source.file,
    line: 1,
    column: 1,
    path: '',
    message: `the file is empty; expected a ${kind} document`,
  };
}

/** Parses `parsed` with `schema`, then applies `rules` to the result when the schema accepts it. */
export function checkDocument<T>(
  parsed: ParsedYaml,
  schema: z.ZodType<T>,
  kind: DocumentKind,
  rules: (value: T) => ConfigProblem[],
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
