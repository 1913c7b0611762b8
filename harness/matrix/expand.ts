/**
 * Expands a matrix into cells: the cartesian product of the axes (platform/method pairs that
 * cannot work together are skipped), minus `exclude`, plus `include`, then `expect` rules. A
 * method that ignores the strategy axis (postgres, helm, operator) gets one cell where the
 * others get one per strategy.
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
  'via',
  'rollback',
  'profile',
] as const;

/**
 * Methods whose upgrade depends on the strategy axis: local rolls its replicas out by it; exec
 * hands it to the user's commands (`{{axes.strategy}}`). For the others (postgres, helm,
 * operator) cells that differ only by strategy are one cell, whose id and axes have no strategy.
 */
export const STRATEGY_METHODS: readonly MethodName[] = ['local', 'exec'];

export function usesStrategy(method: MethodName): boolean {
  return STRATEGY_METHODS.includes(method);
}

/** A cell's axis values, before it gets an id. */
export type CellAxes = Pick<
  CellPlan,
  'platform' | 'method' | 'strategy' | 'path' | 'rollback' | 'profile' | 'custom'
>;

/** Every version a path goes through, in order: from, its stops, to. */
export function pathVersions(path: PathConfig): string[] {
  return [path.from, ...(path.via ?? []), path.to];
}

/** `1.0.0 -> 1.1.0`, or `1.0.0 -> 1.1.0 -> 2.0.0` with a stop. */
export function formatPathValue(path: PathConfig): string {
  return pathVersions(path).join(' -> ');
}

/** `17.3.7 → 17.5.5 → 18.2.1`: the versions a cell upgrades through, for people. */
export function formatHops(path: PathConfig): string {
  return pathVersions(path).join(' → ');
}

function sameStops(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * True when a match's path fits a cell's: from and to equal, and the stops too when the match
 * gives them (`via: []` only fits cells without stops); a match without via fits any stops.
 */
export function pathMatches(match: PathConfig, path: PathConfig): boolean {
  if (match.from !== path.from || match.to !== path.to) return false;
  return match.via === undefined || sameStops(match.via, path.via ?? []);
}

/**
 * True when every field the match gives equals the cell's (a partial match). A cell whose
 * method ignores the strategy has none: a match that names a strategy does not fit it.
 */
export function matchesCell(match: CellMatch, cell: CellAxes): boolean {
  if (match.platform !== undefined && match.platform !== cell.platform) return false;
  if (match.method !== undefined && match.method !== cell.method) return false;
  if (match.strategy !== undefined && (match.strategy !== cell.strategy || !usesStrategy(cell.method)))
    return false;
  if (match.rollback !== undefined && match.rollback !== cell.rollback) return false;
  if (match.profile !== undefined && match.profile !== cell.profile) return false;
  if (match.path && !pathMatches(match.path, cell.path)) return false;
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
  const firstStrategy = first(axes.strategy, 'strategy');
  return {
    platform,
    method,
    strategy: usesStrategy(method) ? (include.strategy ?? firstStrategy) : firstStrategy,
    path: copyPath(path),
    rollback: include.rollback ?? first(axes.rollback, 'rollback'),
    profile: include.profile ?? first(axes.profile, 'profile'),
    custom,
  };
}

function sortedCustom(custom: Record<string, string>): Array<[string, string]> {
  return Object.entries(custom).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A copy of a path; `via` only when it has stops. */
export function copyPath(path: PathConfig): PathConfig {
  return path.via && path.via.length > 0
    ? { from: path.from, to: path.to, via: [...path.via] }
    : { from: path.from, to: path.to };
}

function stopsOf(cell: CellAxes): string[] {
  return cell.path.via ?? [];
}

/**
 * Identity of a cell: equal for equal axes, whatever the order of custom keys; the strategy
 * only for methods that use it. Without stops the key is what it was before paths had stops.
 */
export function cellKey(cell: CellAxes): string {
  const { platform, method, strategy, path, rollback, profile } = cell;
  const stops = stopsOf(cell);
  return JSON.stringify([
    platform,
    method,
    usesStrategy(method) ? strategy : null,
    path.from,
    path.to,
    rollback,
    profile,
    sortedCustom(cell.custom),
    ...(stops.length > 0 ? [stops] : []),
  ]);
}

/**
 * The readable id: `local-local-rolling-1.0.0-to-1.1.0-on-failure-default[-custom values]`;
 * `…-1.0.0-to-2.0.0-via-1.1.0-1.2.0-…` with stops; no strategy for methods that ignore it
 * (`kind-helm-1.0.0-to-1.1.0-on-failure-default`).
 */
export function baseCellId(cell: CellAxes): string {
  const stops = stopsOf(cell);
  const parts = [
    cell.platform,
    cell.method,
    ...(usesStrategy(cell.method) ? [cell.strategy] : []),
    cell.path.from,
    'to',
    cell.path.to,
    ...(stops.length > 0 ? ['via', ...stops] : []),
    cell.rollback,
    cell.profile,
  ];
  for (const [, value] of sortedCustom(cell.custom)) parts.push(value);
  return parts.join('-');
}

/** The flat axes of reports and filters: `strategy` only for methods that use it, `via` (`1.1.0,1.2.0`) only with stops. */
export function flatAxes(cell: CellAxes): Record<string, string> {
  const stops = stopsOf(cell);
  return {
    ...Object.fromEntries(sortedCustom(cell.custom)),
    platform: cell.platform,
    method: cell.method,
    ...(usesStrategy(cell.method) ? { strategy: cell.strategy } : {}),
    from: cell.path.from,
    to: cell.path.to,
    ...(stops.length > 0 ? { via: stops.join(',') } : {}),
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
      // A method that ignores the strategy gets one cell per path, not one per strategy.
      const strategies = usesStrategy(method) ? axes.strategy : axes.strategy.slice(0, 1);
      for (const strategy of strategies) {
        for (const path of axes.path) {
          for (const rollback of axes.rollback) {
            for (const profile of axes.profile) {
              for (const custom of combos) {
                cells.push({ platform, method, strategy, path: copyPath(path), rollback, profile, custom });
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
      path: copyPath(axes.path),
      custom: { ...axes.custom },
      axes: flatAxes(axes),
    };
    if (expect) cell.expect = expect;
    return cell;
  });
}
