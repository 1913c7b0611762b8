/**
 * Turns zod issues into problems at a field path: one per unknown key (located at the key, with
 * the allowed keys), unions resolved to the branch the author most likely meant, record keys
 * located at the key.
 */
import type { z } from 'zod';
import { allowedKeysAt, objectKeys, schemaAt, unionOptions, valueAt } from './schema-walk.js';
import { closestMatch, didYouMean } from './suggest.js';

/** A problem at a field path, before it is given a line and column. */
export interface ConfigProblem {
  path: PropertyKey[];
  message: string;
  /** Point at the key of the entry at `path` (unknown or invalid keys), or at its value. */
  target?: 'key' | 'value';
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const list = allowed.length > 0 ? `; allowed keys: ${allowed.join(', ')}` : '';
  return `unknown key "${key}"${didYouMean(key, allowed)}${list}`;
}

/** How unlikely it is that the author meant this union branch; the lowest wins. */
function branchScore(issues: readonly Issue[], option: AnySchema | undefined): number {
  const allowed = option ? (objectKeys(option) ?? []) : [];
  let score = 0;
  for (const issue of issues) {
    if (issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value'))
      score += 1000;
    else if (issue.path.length === 0 && issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) score += closestMatch(key, allowed) === undefined ? 10 : 2;
    } else score += 1;
  }
  return score;
}

function isTypeMismatch(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
}

function collect(
  issues: readonly Issue[],
  schema: AnySchema,
  data: unknown,
  base: readonly PropertyKey[],
  out: ConfigProblem[],
): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(schema, data, issue.path, issue.keys);
        for (const key of issue.keys) {
          out.push({ path: [...path, key], target: 'key', message: unknownKeyMessage(key, allowed) });
        }
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues.map((i) => i.message).join('; ');
        out.push({ path, target: 'key', message: `invalid key: ${inner}` });
        break;
      }
      case 'invalid_union': {
        const at = schemaAt(schema, data, issue.path);
        const options = at ? unionOptions(at) : undefined;
        const branches = issue.errors;
        if (!options || branches.length === 0 || branches.every(isTypeMismatch)) {
          out.push({ path, message: issue.message });
          break;
        }
        let best = 0;
        let bestScore = Number.POSITIVE_INFINITY;
        branches.forEach((branch, index) => {
          const score = branchScore(branch, options[index]);
          if (score < bestScore) {
            best = index;
            bestScore = score;
          }
        });
        const option = options[best];
        if (!option) out.push({ path, message: issue.message });
        else collect(branches[best] ?? [], option, valueAt(data, issue.path), path, out);
        break;
      }
      default:
        out.push({ path, message: issue.message });
    }
  }
}

/** Problems for a failed parse of `data` by `schema`. */
export function problemsFromZod(error: z.ZodError, schema: AnySchema, data: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  collect(error.issues, schema, data, [], out);
  return out;
}
