import type { RunRecord } from '../../common/run-record.js';
import { axesComparator, axisKeys, groupBy, type RunCell, runCells } from './axes.js';
import { isAggregated, type LeftOutCell, leftOutCells } from './cell-measures.js';
import { compareVersions } from './order.js';
import { changePercent } from './stats.js';
import {
  baselineSide,
  enoughSamples,
  SERVING_METRICS,
  type ServingMetricKey,
  servingSide,
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
 * - N+1 likewise in the BASELINE phase of cells upgrading from N+1, when the runs have any
 *   (`measuredIn: 'baseline'`): steady state against steady state. Only when they have none, in the
 *   SETTLE phase of the cells upgrading N → N+1 whose upgrade passed and whose settle was answered
 *   by N+1 (`measuredIn: 'settle'`, the fallback: just after the upgrade, not a steady state).
 * Only cells that passed or failed are measured (`isAggregated`). Numbers are medians over the
 * cells; changes are (N+1 − N) / N in percent of the medians. A percentile's change is judged only
 * when both sides took it over enough responses (`enoughSamples`).
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
  /**
   * Percentiles whose change is not judged: a side took it over fewer than 10 responses beyond it
   * (count × (1 − q) < 10), so it is mostly noise. Never in `worse`.
   */
  fewSamples: ServingMetricKey[];
}

export interface Comparison {
  contextKeys: string[];
  options: ComparisonOptions;
  rows: ComparisonRow[];
  /** Cells left out of every number (not passed or failed, or without traffic), in input order. */
  leftOut: LeftOutCell[];
}

export function buildComparison(
  records: readonly RunRecord[],
  options: ComparisonOptions = DEFAULT_COMPARISON_OPTIONS,
): Comparison {
  const all = runCells(records);
  const cells = all.filter((c) => isAggregated(c.cell));
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
  return { contextKeys, options, rows, leftOut: leftOutCells(all) };
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
  const next = servingSide(group, to, from);
  const changes = {} as Record<ServingMetricKey, number | null>;
  const worse: ServingMetricKey[] = [];
  const fewSamples: ServingMetricKey[] = [];
  for (const m of SERVING_METRICS) {
    const change = changePercent(n?.metrics[m.key]?.median ?? null, next?.metrics[m.key]?.median ?? null);
    changes[m.key] = change;
    if (change === null) continue;
    if (
      m.percentile !== undefined &&
      !(
        enoughSamples(n?.latencySamples ?? null, m.percentile) &&
        enoughSamples(next?.latencySamples ?? null, m.percentile)
      )
    ) {
      fewSamples.push(m.key);
      continue;
    }
    const worseBeyond = m.higherIsBetter
      ? change < -options.throughputThresholdPercent
      : change > options.latencyThresholdPercent;
    if (worseBeyond) worse.push(m.key);
  }
  return { context, from, to, n, next, changes, worse, fewSamples };
}
