import type { CellRecord, RunRecord } from '../../common/run-record.js';
import { compareVersions, orderSizes } from './order.js';

/** The size axis: the matrix's load profile (reference-architecture size, e.g. `1k`, `10k`). */
export const SIZE_AXIS = 'profile';
/** Axes shown first, in this order; any other (custom) axis follows in name order. */
const LEADING_AXES = ['profile', 'from', 'to', 'strategy', 'platform', 'method', 'rollback'];

/** A cell with the run it came from. */
export interface RunCell {
  runId: string;
  cell: CellRecord;
}

export function runCells(records: readonly RunRecord[]): RunCell[] {
  return records.flatMap((r) => r.cells.map((cell) => ({ runId: r.runId, cell })));
}

/** Every axis name the cells use, leading axes first. */
export function axisKeys(cells: readonly RunCell[]): string[] {
  const names = new Set(cells.flatMap((c) => Object.keys(c.cell.axes)));
  const leading = LEADING_AXES.filter((k) => names.has(k));
  const rest = [...names].filter((k) => !LEADING_AXES.includes(k)).sort();
  return [...leading, ...rest];
}

/** A stable key of the given axes' values (missing axes count as empty). */
export function keyOf(axes: Readonly<Record<string, string>>, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => axes[k] ?? ''));
}

/** Cells grouped by the values of `keys`, groups in first-seen order. */
export function groupBy(cells: readonly RunCell[], keys: readonly string[]): RunCell[][] {
  const groups = new Map<string, RunCell[]>();
  for (const c of cells) {
    const key = keyOf(c.cell.axes, keys);
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  return [...groups.values()];
}

/**
 * A comparator of axis values for rows: sizes in `orderSizes` order, `from`/`to` by version, any
 * other axis as text, in the order of `keys`.
 */
export function axesComparator(
  cells: readonly RunCell[],
  keys: readonly string[],
): (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => number {
  const sizes = orderSizes(cells.map((c) => c.cell.axes[SIZE_AXIS] ?? ''));
  return (a, b) => {
    for (const k of keys) {
      const x = a[k] ?? '';
      const y = b[k] ?? '';
      if (x === y) continue;
      if (k === SIZE_AXIS) return sizes.indexOf(x) - sizes.indexOf(y);
      if (k === 'from' || k === 'to') return compareVersions(x, y);
      return x < y ? -1 : 1;
    }
    return 0;
  };
}

/** The keys whose value differs between some of the given axes (the others are the same everywhere). */
export function varyingKeys(
  all: ReadonlyArray<Readonly<Record<string, string>>>,
  keys: readonly string[],
): string[] {
  return keys.filter((k) => new Set(all.map((a) => a[k] ?? '')).size > 1);
}
