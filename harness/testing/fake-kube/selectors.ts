import { getPath } from './json-util.js';
import { badRequest } from './status-error.js';
import type { KubeObject } from './types.js';

type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export type Matcher = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(text: string): LabelRequirement {
  const set = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set?.[1] && set[2] && set[3] !== undefined) {
    const values = set[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { op: set[2] as 'in' | 'notin', key: set[1], values };
  }
  const cmp = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(text);
  if (cmp?.[1] && cmp[2] && cmp[3] !== undefined) {
    return { op: cmp[2] === '!=' ? 'notin' : 'in', key: cmp[1], values: [cmp[3]] };
  }
  const notExists = /^!\s*([^\s!=(),]+)$/.exec(text);
  if (notExists?.[1]) return { op: 'notexists', key: notExists[1] };
  const exists = /^([^\s!=(),]+)$/.exec(text);
  if (exists?.[1]) return { op: 'exists', key: exists[1] };
  throw badRequest(`unable to parse requirement: ${text}`);
}

/** Label selectors as kubectl writes them: `a=b,c!=d,e in (f,g),h notin (i),j,!k`. */
export function parseLabelSelector(selector: string | undefined): Matcher {
  if (!selector?.trim()) return () => true;
  const requirements = splitTopLevel(selector).map(parseRequirement);
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return requirements.every((req) => {
      const has = Object.hasOwn(labels, req.key);
      const value = labels[req.key];
      switch (req.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'in':
          return has && value !== undefined && req.values.includes(value);
        case 'notin':
          return !has || value === undefined || !req.values.includes(value);
      }
      return false;
    });
  };
}

/**
 * Field selectors: `path=value`, `path==value`, `path!=value`, comma-joined, on any dotted path
 * (`metadata.name`, `status.phase`, `involvedObject.name`). The real server allows fewer fields.
 */
export function parseFieldSelector(selector: string | undefined): Matcher {
  if (!selector?.trim()) return () => true;
  const terms = splitTopLevel(selector).map((term) => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match?.[1] || !match[2] || match[3] === undefined)
      throw badRequest(`invalid field selector: ${term}`);
    return { path: match[1].trim().split('.'), negate: match[2] === '!=', value: match[3].trim() };
  });
  return (obj) =>
    terms.every((term) => {
      const actual = getPath(obj, term.path);
      const text = actual === undefined || actual === null ? '' : String(actual);
      return term.negate ? text !== term.value : text === term.value;
    });
}

export function matchesAll(...matchers: Matcher[]): Matcher {
  return (obj) => matchers.every((m) => m(obj));
}
