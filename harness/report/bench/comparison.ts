import type { RunRecord } from '../../common/run-record.js';
import { axesComparator, axisKeys, groupBy, type RunCell, runCells } from './axes.js';
import { measuredAnything } from './cell-measures.js';
import { compareVersions } from './order.js';
import { changePercent } from './stats.js';
import {
  baselineSide,
  SERVING_METRICS,
  type ServingMetricKey,
  settleSide,
  type VersionSide,
} from './version-sides.js';

/** Axes that describe how an upgrade is done, not what serves: versions are compared across them. */
const UPGRADE_AXES = ['from', 'to', 'strategy', 'rollback'];

export interface ComparisonOptions {
  /** A latency percentile that rose by more than this many percent is marked worse. Default 10. */
  latencyThresholdPercent: number;
  /** A rate that fell by more than this many percent is marked worse. Default 5. */
  throughputThresholdPercent: number;
}

export const DEFAULT_COMPARISON_OPTIONS: ComparisonOptions = {
  latencyThresholdPercent: 10,
  throughputThresholdPercent: 5,
};

/**
 * Version N against N+1 at one size (and one platform, method and custom-axis context), for each
 * upgrade path N → N+1 the cells ran there.
 * - N is measured in the BASELINE phase of the cells upgrading from N (any target, any strategy).
 * - N+1 is measured in the SETTLE phase of the cells upgrading N → N+1 whose upgrade passed and whose
 *   settle was answered by N+1 (`measuredIn: 'settle'`); when there are none, in the BASELINE phase
 *   of cells upgrading from N+1, if the runs have any (`measuredIn: 'baseline'`).
 * Numbers are medians over the cells; changes are (N+1 − N) / N in percent of the medians.
 */
export interface ComparisonRow {
  /** The size axis and every other axis that is not an upgrade axis (platform, method, custom). */
  context: Record<string, string>;
  from: string;
  to: string;
  n: VersionSide | null;
  next: VersionSide | null;
  /** Change of each metric's median from N to N+1, in percent of N; null when either is unknown. */
  changes: Record<ServingMetricKey, number | null>;
  /** Metrics that got worse beyond the thresholds (latency up, rates down), in SERVING_METRICS order. */
  worse: ServingMetricKey[];
}

export interface Comparison {
  contextKeys: string[];
  options: ComparisonOptions;
  rows: ComparisonRow[];
}

export function buildComparison(
  records: readonly RunRecord[],
  options: ComparisonOptions = DEFAULT_COMPARISON_OPTIONS,
): Comparison {
  const cells = runCells(records).filter((c) => measuredAnything(c.cell));
  const contextKeys = axisKeys(cells).filter((k) => !UPGRADE_AXES.includes(k));
  const rows: ComparisonRow[] = [];
  for (const group of groupBy(cells, contextKeys)) {
    const context = Object.fromEntries(contextKeys.map((k) => [k, (group[0] as RunCell).cell.axes[k] ?? '']));
    for (const [from, to] of upgradePaths(group)) rows.push(comparisonRow(group, context, from, to, options));
  }
  const compare = axesComparator(cells, contextKeys);
  rows.sort(
    (a, b) => compare(a.context, b.context) || compareVersions(a.from, b.from) || compareVersions(a.to, b.to),
  );
  return { contextKeys, options, rows };
}

function upgradePaths(group: readonly RunCell[]): Array<[string, string]> {
  const paths = new Map<string, [string, string]>();
  for (const { cell } of group) {
    const { from, to } = cell.axes;
    if (from !== undefined && to !== undefined && from !== to) paths.set(`${from}\u0000${to}`, [from, to]);
  }
  return [...paths.values()];
}

function comparisonRow(
  group: readonly RunCell[],
  context: Record<string, string>,
  from: string,
  to: string,
  options: ComparisonOptions,
): ComparisonRow {
  const n = baselineSide(group, from);
  const next = settleSide(group, to, from) ?? baselineSide(group, to);
  const changes = {} as Record<ServingMetricKey, number | null>;
  const worse: ServingMetricKey[] = [];
  for (const m of SERVING_METRICS) {
    const change = changePercent(n?.metrics[m.key]?.median ?? null, next?.metrics[m.key]?.median ?? null);
    changes[m.key] = change;
    if (change === null) continue;
    const worseBeyond = m.higherIsBetter
      ? change < -options.throughputThresholdPercent
      : change > options.latencyThresholdPercent;
    if (worseBeyond) worse.push(m.key);
  }
  return { context, from, to, n, next, changes, worse };
}
