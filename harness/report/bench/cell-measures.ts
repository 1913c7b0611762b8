import type { CellRecord, CellStatus, LatencySummary } from '../../common/run-record.js';
import { UNBOUNDED_RATIO } from '../format.js';
import type { RunCell } from './axes.js';

/**
 * The numbers the bench tables take from one cell, straight from its record (nothing is
 * recomputed from samples). Null means the cell did not measure it.
 */

/** Phases a serving version is measured in. */
export type MeasuredPhase = 'baseline' | 'upgrade' | 'settle';

/** Traffic and latency of one phase of one cell. */
export interface PhaseMeasure {
  /** Requests that started in the phase per second of the phase under load (`load.byPhase[phase].achievedRate`). */
  achievedRate: number | null;
  /** Of those, the ok ones per second: (requests − failures) / seconds, failures from `errorBudget.byPhase[phase]`. */
  okRate: number | null;
  /**
   * Latency of the ok responses that started in the phase, from the intended start (`latency[phase]`),
   * and how many responses the percentiles were taken over.
   */
  latency: { p50Ms: number; p90Ms: number; p99Ms: number; count: number } | null;
}

export interface CellMeasures {
  /** Offered rate of the load profile (`load.targetRate`), req/s. */
  targetRate: number | null;
  baseline: PhaseMeasure;
  upgrade: PhaseMeasure;
  settle: PhaseMeasure;
  /** Sum of the lengths of the cell's `upgrade` phases (one per hop); null unless every one passed. */
  upgradeSeconds: number | null;
  /**
   * `downtimeSeconds`: downtime in the upgrade window (upgrade start → settle end), worst sampler;
   * null when the cell never reached the upgrade (its 0 would say nothing).
   */
  downtimeSeconds: number | null;
  /** `rollback.seconds` of an attempted rollback. */
  rollbackSeconds: number | null;
  /** `rollback.downtimeSeconds`: downtime from rollback start to the end of verify-rollback. */
  rollbackDowntimeSeconds: number | null;
  /** `errorBudget.consumedRatio` × 100; Infinity for failures against an allowance of 0; null without an upgrade. */
  budgetConsumedPercent: number | null;
}

/**
 * Statuses whose numbers the bench tables aggregate: the cell ran to its verdict. Inconclusive
 * cells are left out (the generator could not hold the load, so latency includes its own lag), and
 * so are errored, interrupted and timed-out ones (their traffic, if any, is partial).
 */
export const AGGREGATED_STATUSES: readonly CellStatus[] = ['passed', 'failed'];

/** True when the cell sent load and so measured anything at all (an errored cell did not). */
export function measuredAnything(cell: CellRecord): boolean {
  return cell.requests.total > 0;
}

/** True when the cell's numbers go into the bench tables' medians: it passed or failed, and sent load. */
export function isAggregated(cell: CellRecord): boolean {
  return AGGREGATED_STATUSES.includes(cell.status) && measuredAnything(cell);
}

/** True when an upgrade phase ran (it is there and was not skipped). */
export function reachedUpgrade(cell: CellRecord): boolean {
  return cell.phases.some((p) => p.name === 'upgrade' && p.status !== 'skipped');
}

/** A cell the bench tables count in their status columns but leave out of every number. */
export interface LeftOutCell {
  runId: string;
  cellId: string;
  status: CellStatus;
  /** Why it is left out, for people: the status's meaning and the cell's own reason. */
  why: string;
}

const LEFT_OUT_WHY: Record<CellStatus, string> = {
  passed: 'sent no traffic',
  failed: 'sent no traffic',
  inconclusive:
    'inconclusive: its measurements are not trustworthy (e.g. the load generator could not hold the rate, so latency includes its lag)',
  errored: 'errored: the harness or the platform failed; its traffic, if any, is partial',
  interrupted: 'interrupted: stopped before the end; its traffic, if any, is partial',
  timedout: 'timed out: a phase did not finish in time; its traffic is partial',
};

/** Longest cell reason quoted in a left-out line (an infrastructure error can be a page long). */
const REASON_CHARS = 160;

/** The cells `isAggregated` leaves out, in input order, with why. */
export function leftOutCells(cells: readonly RunCell[]): LeftOutCell[] {
  return cells
    .filter((c) => !isAggregated(c.cell))
    .map(({ runId, cell }) => {
      const reason =
        cell.reason === undefined || cell.reason === ''
          ? ''
          : ` (${cell.reason.length > REASON_CHARS ? `${cell.reason.slice(0, REASON_CHARS - 1)}…` : cell.reason})`;
      const why = AGGREGATED_STATUSES.includes(cell.status)
        ? LEFT_OUT_WHY[cell.status]
        : `${LEFT_OUT_WHY[cell.status]}${reason}`;
      return { runId, cellId: cell.id, status: cell.status, why };
    });
}

export function cellMeasures(cell: CellRecord): CellMeasures {
  const measured = measuredAnything(cell);
  const upgraded = reachedUpgrade(cell);
  const upgrades = cell.phases.filter((p) => p.name === 'upgrade');
  const upgradePassed = upgrades.length > 0 && upgrades.every((p) => p.status === 'passed');
  const budget = cell.errorBudget;
  return {
    targetRate: measured ? cell.load.targetRate : null,
    baseline: phaseMeasure(cell, 'baseline'),
    upgrade: phaseMeasure(cell, 'upgrade'),
    settle: phaseMeasure(cell, 'settle'),
    upgradeSeconds: upgradePassed ? upgrades.reduce((s, p) => s + (p.endedAt - p.startedAt) / 1000, 0) : null,
    downtimeSeconds: measured && upgraded ? cell.downtimeSeconds : null,
    rollbackSeconds: cell.rollback.attempted ? cell.rollback.seconds : null,
    rollbackDowntimeSeconds: cell.rollback.attempted ? (cell.rollback.downtimeSeconds ?? null) : null,
    budgetConsumedPercent:
      budget.requests > 0 && upgraded
        ? budget.consumedRatio >= UNBOUNDED_RATIO
          ? Number.POSITIVE_INFINITY
          : budget.consumedRatio * 100
        : null,
  };
}

/**
 * One phase's traffic and latency. The phase's seconds under load come from `load.byPhase`; records
 * written before it existed fall back to the phases' lengths (the load covers these phases whole).
 */
export function phaseMeasure(cell: CellRecord, phase: MeasuredPhase): PhaseMeasure {
  if (!cell.phases.some((p) => p.name === phase)) return { achievedRate: null, okRate: null, latency: null };
  const counted = cell.errorBudget.byPhase[phase];
  const rate = cell.load.byPhase?.[phase];
  const seconds =
    rate?.seconds ??
    cell.phases.filter((p) => p.name === phase).reduce((s, p) => s + (p.endedAt - p.startedAt) / 1000, 0);
  const requests = rate?.requests ?? counted?.requests ?? 0;
  const failures = counted?.failures ?? 0;
  const hasTraffic = seconds > 0 && measuredAnything(cell);
  return {
    achievedRate: hasTraffic ? (rate?.achievedRate ?? requests / seconds) : null,
    okRate: hasTraffic ? Math.max(0, requests - failures) / seconds : null,
    latency: latencyOf(cell.latency[phase]),
  };
}

function latencyOf(summary: LatencySummary | undefined): PhaseMeasure['latency'] {
  if (!summary || summary.count === 0) return null;
  return { p50Ms: summary.p50Ms, p90Ms: summary.p90Ms, p99Ms: summary.p99Ms, count: summary.count };
}
