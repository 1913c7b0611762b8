/**
 * Selects cells from the command line. A filter is `key=value` on an axis (`strategy=rolling`,
 * `from=1.0.0`, `path=1.0.0->1.1.0`, a custom axis name, or `id`), where the value may list
 * alternatives with commas and use `*` / `?` wildcards; or it is a piece of the cell id (a
 * substring, or a glob over the whole id when it has wildcards). All filters must match.
 */
import { UsageError } from '../common/errors.js';
import type { CellPlan } from '../config/types.js';
import { BUILTIN_AXES } from './expand.js';

function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('')
    .map((ch) => {
      if (ch === '*') return '.*';
      if (ch === '?') return '.';
      return ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}

function normalizePath(text: string): string {
  return text.replace(/\s+/g, '');
}

type CellTest = (cell: CellPlan) => boolean;

function axisValue(cell: CellPlan, key: string): string | undefined {
  if (key === 'id') return cell.id;
  if (key === 'path') return `${cell.path.from}->${cell.path.to}`;
  return cell.axes[key];
}

function parseFilter(filter: string, knownKeys: ReadonlySet<string>): CellTest {
  const text = filter.trim();
  if (text === '')
    throw new UsageError('empty cell filter', 'use key=value (e.g. strategy=rolling) or part of a cell id');
  const eq = text.indexOf('=');
  if (eq < 0) {
    if (hasWildcard(text)) {
      const re = globToRegExp(text);
      return (cell) => re.test(cell.id);
    }
    return (cell) => cell.id.includes(text);
  }
  const key = text.slice(0, eq).trim();
  const rawValue = text.slice(eq + 1).trim();
  if (!knownKeys.has(key)) {
    throw new UsageError(
      `unknown axis "${key}" in cell filter "${filter}"`,
      `known axes: ${[...knownKeys].sort().join(', ')}`,
    );
  }
  if (rawValue === '') throw new UsageError(`cell filter "${filter}" has no value`, `write ${key}=VALUE`);
  const alternatives = rawValue
    .split(',')
    .map((v) => (key === 'path' ? normalizePath(v) : v.trim()))
    .filter((v) => v !== '')
    .map((v) => (hasWildcard(v) ? globToRegExp(v) : v));
  return (cell) => {
    const value = axisValue(cell, key);
    if (value === undefined) return false;
    return alternatives.some((alt) => (typeof alt === 'string' ? alt === value : alt.test(value)));
  };
}

/** The cells that match every filter, in their original order. */
export function filterCells(cells: readonly CellPlan[], filters: readonly string[]): CellPlan[] {
  const knownKeys = new Set<string>([...BUILTIN_AXES, 'id']);
  for (const cell of cells) for (const key of Object.keys(cell.axes)) knownKeys.add(key);
  const tests = filters.map((f) => parseFilter(f, knownKeys));
  return cells.filter((cell) => tests.every((test) => test(cell)));
}
