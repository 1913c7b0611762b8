import { errorMessage, UsageError } from '../../common/errors.js';
import { expandTemplate } from '../../common/template.js';

/**
 * The `ready` and `failed` expressions of the operator method, parsed once:
 * - `Type=Status` (e.g. `Available=True`) holds when `status.conditions[]` has a condition of that
 *   type with that status, and it is not stale (see `conditionOf`);
 * - `a.b.c==value` (e.g. `status.version=={{version}}`) holds when the dotted field's string value
 *   equals `value`, `{{version}}` being the version waited for.
 */
export type Expression =
  | { kind: 'condition'; text: string; type: string; status: 'True' | 'False' | 'Unknown' }
  | { kind: 'field'; text: string; path: string[]; value: string };

export interface Evaluation {
  holds: boolean;
  /** What was seen, for messages: `Degraded=True (UpgradeFailed: image pull failed)`, `status.version=1.0`. */
  seen: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

const CONDITION = /^([A-Za-z][\w.-]*)=(True|False|Unknown)$/;
const FIELD = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*==\s*(.*)$/;

/** How an expression is written, for messages (UsageError hints and `validate`). */
export const EXPRESSION_SYNTAX =
  'write a condition as Type=Status (Available=True; status is True, False or Unknown) ' +
  'or a field comparison as a.b.c==value (status.version=={{version}})';

type Parsed = { expression: Expression } | { problem: string; hint?: string };

function parse(text: string): Parsed {
  const trimmed = text.trim();
  const field_ = FIELD.exec(trimmed);
  if (field_) {
    const [, path = '', value = ''] = field_;
    try {
      expandTemplate(value, { version: '0' });
    } catch (err) {
      return { problem: errorMessage(err) };
    }
    return { expression: { kind: 'field', text: trimmed, path: path.split('.'), value: value.trim() } };
  }
  const condition = CONDITION.exec(trimmed);
  if (condition) {
    const [, type = '', status = ''] = condition;
    return {
      expression: { kind: 'condition', text: trimmed, type, status: status as 'True' | 'False' | 'Unknown' },
    };
  }
  return { problem: 'is not an expression the operator method understands', hint: EXPRESSION_SYNTAX };
}

/**
 * What is wrong with an expression, in words for the config validator (`"Available" is not an
 * expression ...: write a condition as ...`); undefined when it parses.
 */
export function expressionProblem(text: string): string | undefined {
  const parsed = parse(text);
  if ('expression' in parsed) return undefined;
  return parsed.hint ? `"${text}" ${parsed.problem}: ${parsed.hint}` : `"${text}": ${parsed.problem}`;
}

/** Parses one expression; `field` names where it came from (`operator.ready[0]`) in the UsageError. */
export function parseExpression(text: string, field: string): Expression {
  const parsed = parse(text);
  if ('expression' in parsed) return parsed.expression;
  const at = parsed.hint ? `${field} "${text}" ${parsed.problem}` : `${field} "${text}": ${parsed.problem}`;
  throw new UsageError(at, parsed.hint);
}

export function parseExpressions(texts: readonly string[], field: string): Expression[] {
  return texts.map((t, i) => parseExpression(t, `${field}[${i}]`));
}

/** The expression as written, with `{{version}}` replaced: for messages and the dry-run plan. */
export function describeExpression(expr: Expression, version: string): string {
  return expr.kind === 'condition'
    ? expr.text
    : `${expr.path.join('.')}==${expandTemplate(expr.value, { version })}`;
}

/** A dotted field's value as a string (numbers and booleans too); undefined when absent or an object. */
export function fieldString(obj: unknown, path: readonly string[]): string | undefined {
  let at: unknown = obj;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  if (typeof at === 'string') return at;
  if (typeof at === 'number' || typeof at === 'boolean') return String(at);
  return undefined;
}

/**
 * The condition of `type` in `status.conditions`, unless it is stale: when the condition (or
 * else `status.observedGeneration`) names a generation older than `metadata.generation`, the
 * operator has not yet looked at the latest spec, so what it says is about the previous version.
 */
export function conditionOf(obj: unknown, type: string): Condition | undefined {
  const o = (obj ?? {}) as {
    metadata?: { generation?: unknown };
    status?: { conditions?: unknown; observedGeneration?: unknown };
  };
  const list = Array.isArray(o.status?.conditions) ? (o.status.conditions as unknown[]) : [];
  const found = list.find(
    (c): c is Condition => typeof c === 'object' && c !== null && (c as { type?: unknown }).type === type,
  );
  if (!found) return undefined;
  const generation = o.metadata?.generation;
  const observed = found.observedGeneration ?? o.status?.observedGeneration;
  if (typeof generation === 'number' && typeof observed === 'number' && observed < generation) {
    return undefined;
  }
  return found;
}

export function describeCondition(c: Condition): string {
  const why = [c.reason, c.message].filter((s) => typeof s === 'string' && s.length > 0).join(': ');
  return `${c.type}=${c.status}${why ? ` (${why})` : ''}`;
}

export function evaluate(expr: Expression, obj: unknown, version: string): Evaluation {
  if (expr.kind === 'condition') {
    const c = conditionOf(obj, expr.type);
    if (!c) return { holds: false, seen: `no current ${expr.type} condition` };
    return { holds: c.status === expr.status, seen: describeCondition(c) };
  }
  const want = expandTemplate(expr.value, { version });
  const got = fieldString(obj, expr.path);
  const name = expr.path.join('.');
  return { holds: got === want, seen: got === undefined ? `${name} is not set` : `${name}=${got}` };
}
