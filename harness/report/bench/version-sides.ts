import type { CellRecord } from '../../common/run-record.js';
import type { RunCell } from './axes.js';
import { cellMeasures, isAggregated, type PhaseMeasure } from './cell-measures.js';
import { type Aggregate, aggregate } from './stats.js';

/**
 * How one version served at one size, from the cells that measured it there (only cells that
 * passed or failed: see `isAggregated`). A version is measured in one of two phases:
 * - `baseline`: the baseline phase of cells upgrading FROM it (it is installed and serving, before
 *   any upgrade; the load runs at the profile's rate) — a steady state, preferred;
 * - `settle`: the settle phase of cells upgraded TO it, only when every upgrade phase passed and no
 *   version check failed (so N+1 answered, not N); just after the upgrade (caches cold, pods
 *   young), before any rollback — the fallback when no cell starts from the version.
 */
export type MeasuredIn = 'baseline' | 'settle';

export type ServingMetricKey = 'achievedRate' | 'okRate' | 'p50Ms' | 'p90Ms' | 'p99Ms';

export interface VersionSide {
  version: string;
  measuredIn: MeasuredIn;
  /** Cells (repetitions included) the numbers are medians over. */
  cells: number;
  metrics: Record<ServingMetricKey, Aggregate | null>;
  /**
   * The fewest ok responses any of those cells took its latency percentiles over (`latency[phase].count`);
   * null when none measured latency. Each median is of per-cell percentiles, so the weakest counts.
   */
  latencySamples: number | null;
}

export const SERVING_METRICS: ReadonlyArray<{
  key: ServingMetricKey;
  label: string;
  csv: string;
  decimals: number;
  /** Whether a larger number is better (rates) or worse (latency). */
  higherIsBetter: boolean;
  /** For a latency percentile: which one, in percent (99 for p99). */
  percentile?: number;
  of: (p: PhaseMeasure) => number | null;
}> = [
  { key: 'okRate', label: 'ok req/s', csv: 'ok_rps', decimals: 1, higherIsBetter: true, of: (p) => p.okRate },
  {
    key: 'achievedRate',
    label: 'req/s',
    csv: 'rps',
    decimals: 1,
    higherIsBetter: true,
    of: (p) => p.achievedRate,
  },
  {
    key: 'p50Ms',
    label: 'p50 ms',
    csv: 'p50_ms',
    decimals: 1,
    higherIsBetter: false,
    percentile: 50,
    of: (p) => p.latency?.p50Ms ?? null,
  },
  {
    key: 'p90Ms',
    label: 'p90 ms',
    csv: 'p90_ms',
    decimals: 1,
    higherIsBetter: false,
    percentile: 90,
    of: (p) => p.latency?.p90Ms ?? null,
  },
  {
    key: 'p99Ms',
    label: 'p99 ms',
    csv: 'p99_ms',
    decimals: 1,
    higherIsBetter: false,
    percentile: 99,
    of: (p) => p.latency?.p99Ms ?? null,
  },
];

/**
 * How the version served: in the baseline of cells upgrading from it when the runs have any (a
 * steady state), else in the settle phase of cells upgraded to it (from `from` when given). The
 * comparison table and the plots both use this rule.
 */
export function servingSide(cells: readonly RunCell[], version: string, from?: string): VersionSide | null {
  return baselineSide(cells, version) ?? settleSide(cells, version, from);
}

/** The version as it served in the baseline of `cells` upgrading from it; null when none measured it. */
export function baselineSide(cells: readonly RunCell[], version: string): VersionSide | null {
  const from = cells.filter((c) => c.cell.axes.from === version);
  return side(
    version,
    'baseline',
    from.map((c) => c.cell),
  );
}

/**
 * The version as it served in the settle phase of `cells` upgraded to it (from `from` when given);
 * null when none qualifies (see MeasuredIn).
 */
export function settleSide(cells: readonly RunCell[], version: string, from?: string): VersionSide | null {
  const upgraded = cells.filter(
    (c) =>
      c.cell.axes.to === version &&
      (from === undefined || c.cell.axes.from === from) &&
      servedNewInSettle(c.cell),
  );
  return side(
    version,
    'settle',
    upgraded.map((c) => c.cell),
  );
}

/** Every upgrade phase passed and no version check failed: the settle phase measured the new version. */
export function servedNewInSettle(cell: CellRecord): boolean {
  const upgrades = cell.phases.filter((p) => p.name === 'upgrade');
  return (
    upgrades.length > 0 &&
    upgrades.every((p) => p.status === 'passed') &&
    cell.phases.some((p) => p.name === 'settle') &&
    !cell.checks.some((k) => k.category === 'version' && !k.passed)
  );
}

function side(version: string, measuredIn: MeasuredIn, cells: readonly CellRecord[]): VersionSide | null {
  const phases = cells.filter(isAggregated).map((c) => cellMeasures(c)[measuredIn]);
  const metrics = Object.fromEntries(
    SERVING_METRICS.map((m) => [m.key, aggregate(phases.map(m.of))]),
  ) as Record<ServingMetricKey, Aggregate | null>;
  const counted = phases.filter((p) => p.achievedRate !== null || p.latency !== null).length;
  if (counted === 0) return null;
  const counts = phases.flatMap((p) => (p.latency ? [p.latency.count] : []));
  return {
    version,
    measuredIn,
    cells: counted,
    metrics,
    latencySamples: counts.length > 0 ? Math.min(...counts) : null,
  };
}

/** Samples beyond a percentile needed to trust a change of it: count × (1 − q) ≥ this. */
export const MIN_SAMPLES_BEYOND_PERCENTILE = 10;

/**
 * Whether `samples` responses hold at least MIN_SAMPLES_BEYOND_PERCENTILE beyond the `percentile`
 * (p99 needs 1,000, p90 100, p50 20). Integer arithmetic: 1 − 0.9 is not 0.1 in floating point.
 */
export function enoughSamples(samples: number | null, percentile: number): boolean {
  return samples !== null && samples * (100 - percentile) >= MIN_SAMPLES_BEYOND_PERCENTILE * 100;
}
