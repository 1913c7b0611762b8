import { CELL_STATUSES, type CellStatus, type RunRecord } from '../../common/run-record.js';
import { axesComparator, axisKeys, groupBy, type RunCell, runCells } from './axes.js';
import {
  type CellMeasures,
  cellMeasures,
  isAggregated,
  type LeftOutCell,
  leftOutCells,
} from './cell-measures.js';
import { type Aggregate, aggregate } from './stats.js';

/**
 * The capacity table: one row per distinct cell (all axes: size, from → to, strategy, platform,
 * method, rollback, custom axes), aggregated over every run given — the same cell in several runs
 * is a repetition, reported as median, min–max and n. Only cells that passed or failed (and sent
 * load) are in the numbers; the others (inconclusive, errored, interrupted, timed out) count in the
 * status counts only, and are listed in `leftOut` with why.
 */
export interface CapacityRow {
  axes: Record<string, string>;
  /** Repetitions (cells) in the row, whatever their status. */
  cells: number;
  statuses: Record<CellStatus, number>;
  /** Run ids the row's cells came from, in input order. */
  runIds: string[];
  metrics: Record<CapacityMetricKey, Aggregate | null>;
}

export interface CapacityTable {
  /** Axis names in column order. */
  axisKeys: string[];
  rows: CapacityRow[];
  /** Cells counted in the status columns but left out of every number, in input order. */
  leftOut: LeftOutCell[];
}

export interface CapacityMetric {
  key: CapacityMetricKey;
  /** Column heading in Markdown (unit included). */
  label: string;
  /** Column name prefix in CSV (`<csv>_median`, `_min`, `_max`, `_n`). */
  csv: string;
  decimals: number;
  /** Which Markdown table of capacity.md shows it. */
  section: 'throughput' | 'latency' | 'upgrade';
  /** Where the number comes from, for the notes under the tables. */
  source: string;
  of: (m: CellMeasures) => number | null;
}

export type CapacityMetricKey =
  | 'targetRate'
  | 'baselineAchievedRate'
  | 'baselineOkRate'
  | 'upgradeAchievedRate'
  | 'upgradeOkRate'
  | 'baselineP50Ms'
  | 'baselineP90Ms'
  | 'baselineP99Ms'
  | 'upgradeP50Ms'
  | 'upgradeP90Ms'
  | 'upgradeP99Ms'
  | 'upgradeSeconds'
  | 'downtimeSeconds'
  | 'rollbackSeconds'
  | 'rollbackDowntimeSeconds'
  | 'budgetConsumedPercent';

const RATE_SOURCE =
  'requests that started in the phase per second of the phase under load (load.byPhase); ok = those that did not fail (errorBudget.byPhase)';
const LATENCY_SOURCE = 'ok responses that started in the phase, from their intended start (latency[phase])';

/** The table's columns, in order. */
export const CAPACITY_METRICS: readonly CapacityMetric[] = [
  metric(
    'targetRate',
    'target req/s',
    'target_rps',
    1,
    'throughput',
    'the load profile’s offered rate (load.targetRate)',
    (m) => m.targetRate,
  ),
  metric(
    'baselineAchievedRate',
    'baseline req/s',
    'baseline_rps',
    1,
    'throughput',
    RATE_SOURCE,
    (m) => m.baseline.achievedRate,
  ),
  metric(
    'baselineOkRate',
    'baseline ok req/s',
    'baseline_ok_rps',
    1,
    'throughput',
    RATE_SOURCE,
    (m) => m.baseline.okRate,
  ),
  metric(
    'upgradeAchievedRate',
    'upgrade req/s',
    'upgrade_rps',
    1,
    'throughput',
    RATE_SOURCE,
    (m) => m.upgrade.achievedRate,
  ),
  metric(
    'upgradeOkRate',
    'upgrade ok req/s',
    'upgrade_ok_rps',
    1,
    'throughput',
    RATE_SOURCE,
    (m) => m.upgrade.okRate,
  ),
  metric(
    'baselineP50Ms',
    'baseline p50 ms',
    'baseline_p50_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.baseline.latency?.p50Ms ?? null,
  ),
  metric(
    'baselineP90Ms',
    'baseline p90 ms',
    'baseline_p90_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.baseline.latency?.p90Ms ?? null,
  ),
  metric(
    'baselineP99Ms',
    'baseline p99 ms',
    'baseline_p99_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.baseline.latency?.p99Ms ?? null,
  ),
  metric(
    'upgradeP50Ms',
    'upgrade p50 ms',
    'upgrade_p50_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.upgrade.latency?.p50Ms ?? null,
  ),
  metric(
    'upgradeP90Ms',
    'upgrade p90 ms',
    'upgrade_p90_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.upgrade.latency?.p90Ms ?? null,
  ),
  metric(
    'upgradeP99Ms',
    'upgrade p99 ms',
    'upgrade_p99_ms',
    1,
    'latency',
    LATENCY_SOURCE,
    (m) => m.upgrade.latency?.p99Ms ?? null,
  ),
  metric(
    'upgradeSeconds',
    'upgrade s',
    'upgrade_s',
    2,
    'upgrade',
    'length of the upgrade phase (summed over hops); only upgrades that passed',
    (m) => m.upgradeSeconds,
  ),
  metric(
    'downtimeSeconds',
    'downtime s',
    'downtime_s',
    3,
    'upgrade',
    'downtime in the upgrade window (upgrade start → settle end), worst sampler; only cells that reached the upgrade',
    (m) => m.downtimeSeconds,
  ),
  metric(
    'rollbackSeconds',
    'rollback s',
    'rollback_s',
    2,
    'upgrade',
    'length of the rollback, when one was attempted',
    (m) => m.rollbackSeconds,
  ),
  metric(
    'rollbackDowntimeSeconds',
    'rollback downtime s',
    'rollback_downtime_s',
    3,
    'upgrade',
    'downtime from rollback start to the end of verify-rollback, worst sampler',
    (m) => m.rollbackDowntimeSeconds,
  ),
  metric(
    'budgetConsumedPercent',
    'error budget used %',
    'error_budget_used_pct',
    1,
    'upgrade',
    'failures over allowed failures in the upgrade window; ∞ (CSV: inf) when none were allowed',
    (m) => m.budgetConsumedPercent,
  ),
];

function metric(
  key: CapacityMetricKey,
  label: string,
  csv: string,
  decimals: number,
  section: CapacityMetric['section'],
  source: string,
  of: CapacityMetric['of'],
): CapacityMetric {
  return { key, label, csv, decimals, section, source, of };
}

export function buildCapacityTable(records: readonly RunRecord[]): CapacityTable {
  const cells = runCells(records);
  const keys = axisKeys(cells);
  const rows = groupBy(cells, keys).map((group) => capacityRow(group, keys));
  const compare = axesComparator(cells, keys);
  rows.sort((a, b) => compare(a.axes, b.axes));
  return { axisKeys: keys, rows, leftOut: leftOutCells(cells) };
}

function capacityRow(group: readonly RunCell[], keys: readonly string[]): CapacityRow {
  const first = (group[0] as RunCell).cell;
  const statuses = Object.fromEntries(CELL_STATUSES.map((s) => [s, 0])) as Record<CellStatus, number>;
  for (const { cell } of group) statuses[cell.status] += 1;
  const measures = group.filter((c) => isAggregated(c.cell)).map((c) => cellMeasures(c.cell));
  const metrics = Object.fromEntries(
    CAPACITY_METRICS.map((m) => [m.key, aggregate(measures.map(m.of))]),
  ) as Record<CapacityMetricKey, Aggregate | null>;
  return {
    axes: Object.fromEntries(keys.map((k) => [k, first.axes[k] ?? ''])),
    cells: group.length,
    statuses,
    runIds: [...new Set(group.map((c) => c.runId))],
    metrics,
  };
}
