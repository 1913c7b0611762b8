/**
 * Expands a matrix into cells: the cartesian product of the axes (platform/method pairs that
 * cannot work together are skipped), minus `exclude`, plus `include`, then `expect` rules.
 * Pure: the same matrix always gives the same cells, in the same order, with the same ids.
 */
import { createHash } from 'node:crypto';
import type { CellExpectation } from '../common/run-record.js';
import type {
  CellMatch,
  CellPlan,
  MatrixConfig,
  MethodName,
  PathConfig,
  PlatformName,
} from '../config/types.js';
import { isCompatible } from './compat.js';

/** Axis names the harness defines; custom axes may not reuse them. */
export const BUILTIN_AXES = [
  'platform',
  'method',
  'strategy',
  'path',
  'from',
  'to',
  'rollback',
  'profile',
] as const;

/** A cell's axis values, before it gets an id. */
export type CellAxes = Pick<
  CellPlan,
  'platform' | 'method' | 'strategy' | 'path' | 'rollback' | 'profile' | 'custom'
>;

export function formatPathValue(path: PathConfig): string {
  return `${path.from} -> ${path.to}`;
}

/** True when every field the match gives equals the cell's (a partial match). */
export function matchesCell(match: CellMatch, cell: CellAxes): boolean {
  if (match.platform !== undefined && match.platform !== cell.platform) return false;
  if (match.method !== undefined && match.method !== cell.method) return false;
  if (match.strategy !== undefined && match.strategy !== cell.strategy) return false;
  if (match.rollback !== undefined && match.rollback !== cell.rollback) return false;
  if (match.profile !== undefined && match.profile !== cell.profile) return false;
  if (match.path && (match.path.from !== cell.path.from || match.path.to !== cell.path.to)) return false;
  for (const [name, value] of Object.entries(match.custom ?? {})) {
    if (cell.custom[name] !== value) return false;
  }
  return true;
}

function first<T>(values: readonly T[], axis: string): T {
  const value = values[0];
  if (value === undefined) throw new Error(`matrix axis ${axis} has no values`);
  return value;
}

function pickPair(
  matrix: MatrixConfig,
  platform: PlatformName | undefined,
  method: MethodName | undefined,
): { platform: PlatformName; method: MethodName } {
  const { axes } = matrix;
  if (platform !== undefined && method !== undefined) return { platform, method };
  if (platform !== undefined) {
    return {
      platform,
      method: axes.method.find((m) => isCompatible(platform, m)) ?? first(axes.method, 'method'),
    };
  }
  if (method !== undefined) {
    return {
      platform: axes.platform.find((p) => isCompatible(p, method)) ?? first(axes.platform, 'platform'),
      method,
    };
  }
  const p = first(axes.platform, 'platform');
  return { platform: p, method: axes.method.find((m) => isCompatible(p, m)) ?? first(axes.method, 'method') };
}

/**
 * The full axes of an include entry: missing axes take each axis's first value, except that a
 * missing platform or method takes the first one that works with the other.
 */
export function resolveInclude(matrix: MatrixConfig, include: CellMatch): CellAxes {
  const { axes } = matrix;
  const { platform, method } = pickPair(matrix, include.platform, include.method);
  const custom: Record<string, string> = {};
  for (const name of Object.keys(axes.custom).sort()) {
    custom[name] = include.custom?.[name] ?? first(axes.custom[name] ?? [], `custom.${name}`);
  }
  for (const [name, value] of Object.entries(include.custom ?? {})) custom[name] ??= value;
  const path = include.path ?? first(axes.path, 'path');
  return {
    platform,
    method,
    strategy: include.strategy ?? first(axes.strategy, 'strategy'),
    path: { from: path.from, to: path.to },
    rollback: include.rollback ?? first(axes.rollback, 'rollback'),
    profile: include.profile ?? first(axes.profile, 'profile'),
    custom,
  };
}

function sortedCustom(custom: Record<string, string>): Array<[string, string]> {
  return Object.entries(custom).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Identity of a cell: equal for equal axes, whatever the order of custom keys. */
export function cellKey(cell: CellAxes): string {
  const { platform, method, strategy, path, rollback, profile } = cell;
  return JSON.stringify([
    platform,
    method,
    strategy,
    path.from,
    path.to,
    rollback,
    profile,
    sortedCustom(cell.custom),
  ]);
}

/** The readable id: `local-local-rolling-1.0.0-to-1.1.0-on-failure-default[-custom values]`. */
export function baseCellId(cell: CellAxes): string {
  const parts = [
    cell.platform,
    cell.method,
    cell.strategy,
    cell.path.from,
    'to',
    cell.path.to,
    cell.rollback,
    cell.profile,
  ];
  for (const [, value] of sortedCustom(cell.custom)) parts.push(value);
  return parts.join('-');
}

export function flatAxes(cell: CellAxes): Record<string, string> {
  return {
    ...Object.fromEntries(sortedCustom(cell.custom)),
    platform: cell.platform,
    method: cell.method,
    strategy: cell.strategy,
    from: cell.path.from,
    to: cell.path.to,
    rollback: cell.rollback,
    profile: cell.profile,
  };
}

function customCombinations(custom: Record<string, string[]>): Array<Record<string, string>> {
  let combos: Array<Record<string, string>> = [{}];
  for (const name of Object.keys(custom).sort()) {
    const values = custom[name] ?? [];
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos;
}

function product(matrix: MatrixConfig): CellAxes[] {
  const { axes } = matrix;
  const cells: CellAxes[] = [];
  const combos = customCombinations(axes.custom);
  for (const platform of axes.platform) {
    for (const method of axes.method) {
      if (!isCompatible(platform, method)) continue;
      for (const strategy of axes.strategy) {
        for (const path of axes.path) {
          for (const rollback of axes.rollback) {
            for (const profile of axes.profile) {
              for (const custom of combos) {
                cells.push({ platform, method, strategy, path: { ...path }, rollback, profile, custom });
              }
            }
          }
        }
      }
    }
  }
  return cells;
}

function copyExpectation(expectation: CellExpectation): CellExpectation {
  return expectation.reason === undefined
    ? { status: expectation.status }
    : { status: expectation.status, reason: expectation.reason };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

interface Entry {
  axes: CellAxes;
  expect?: CellExpectation;
}

export function expandMatrix(matrix: MatrixConfig): CellPlan[] {
  const entries: Entry[] = [];
  const byKey = new Map<string, Entry>();
  const add = (axes: CellAxes): Entry => {
    const key = cellKey(axes);
    const existing = byKey.get(key);
    if (existing) return existing;
    const entry: Entry = { axes };
    byKey.set(key, entry);
    entries.push(entry);
    return entry;
  };
  for (const cell of product(matrix)) {
    if (!matrix.exclude.some((match) => matchesCell(match, cell))) add(cell);
  }
  for (const include of matrix.include) {
    const entry = add(resolveInclude(matrix, include));
    if (include.expect) entry.expect = copyExpectation(include.expect);
  }
  for (const rule of matrix.expect) {
    for (const entry of entries) {
      if (matchesCell(rule.match, entry.axes)) entry.expect = copyExpectation(rule);
    }
  }
  const idCount = new Map<string, number>();
  for (const entry of entries) {
    const id = baseCellId(entry.axes);
    idCount.set(id, (idCount.get(id) ?? 0) + 1);
  }
  return entries.map(({ axes, expect }) => {
    const base = baseCellId(axes);
    // Values may contain "-", so two different cells can spell the same id; the hash of the
    // full axes tells them apart and is the same in every run.
    const id = (idCount.get(base) ?? 0) > 1 ? `${base}-${shortHash(cellKey(axes))}` : base;
    const cell: CellPlan = {
      id,
      ...axes,
      path: { ...axes.path },
      custom: { ...axes.custom },
      axes: flatAxes(axes),
    };
    if (expect) cell.expect = expect;
    return cell;
  });
}
