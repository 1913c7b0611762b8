import type {
  CellExpectation,
  CellRecord,
  CellStatus,
  Check,
  CheckCategory,
  DataIntegrity,
  ProcessLoad,
} from '../common/run-record.js';
import type { PhaseRecord, Sample } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import type { LoadSummary } from '../load/load-driver.js';
import type { CellMeasures } from './cell-measures.js';
import {
  dataIntegrityCheck,
  errorBudgetCheck,
  ignoringUnversioned,
  type PhaseVersions,
  rollbackCheck,
  stopVersionCheck,
  upgradeCheck,
  versionCheck,
} from './checks.js';
import { clipDowntime, downtimeSeconds } from './downtime.js';
import type { FoldedCell } from './fold.js';
import { foldSamples } from './fold-samples.js';
import { loadCheck, loadCheckAsCheck } from './load-check.js';
import { measureFolded } from './measure-folded.js';
import { phaseSpan, upgradeWindow } from './phases.js';
import { classErrorBudgetChecks, downtimeChecks, latencyChecks, withBurnRates } from './slo-checks.js';

/** What the verdict needs besides the traffic. */
export interface CellJudgeInput {
  phases: readonly PhaseRecord[];
  slo: SloConfig;
  from: string;
  to: string;
  upgrade: { ok: boolean; error?: string };
  rollback: { attempted: boolean; ok: boolean | null; seconds: number | null; error?: string };
  /** The data ledger's read-back; null when there was no writer or it was never verified. */
  ledger: DataIntegrity | null;
  load: LoadSummary;
  /** CPU and event-loop use of the process that generated the load, over the load's run. */
  process?: ProcessLoad;
  expected?: CellExpectation;
  /**
   * The harness's own traffic path failed some requests (the port-forward's API server): failures
   * measured may not be the product's, so availability findings become inconclusive.
   */
  trafficPathProblem?: string;
  /** The stops of a multi-hop path (PathConfig.via): each stop's settle is checked against it. */
  via?: readonly string[];
  /** What a response without a version counts as in the version checks (versionProbe.unversioned); default wrong. */
  unversioned?: 'wrong' | 'ignore';
  /** The harness, its infrastructure, Ctrl-C or a deadline ended the cell early. */
  error?: { phase: string; message: string; kind: 'infra' | 'interrupted' | 'timedout' };
}

export interface CellAnalysisInput extends CellJudgeInput {
  samples: readonly Sample[];
}

export type CellAnalysis = Pick<
  CellRecord,
  | 'status'
  | 'reason'
  | 'matchedExpectation'
  | 'downtimeSeconds'
  | 'downtime'
  | 'errorBudget'
  | 'requests'
  | 'latency'
  | 'versions'
  | 'rollback'
  | 'dataIntegrity'
  | 'load'
  | 'checks'
  | 'timeline'
> & {
  /** Why checks were left out (things that never happened are not judged). */
  notes: string[];
};

const ERROR_STATUS: Record<NonNullable<CellJudgeInput['error']>['kind'], CellStatus> = {
  infra: 'errored',
  interrupted: 'interrupted',
  timedout: 'timedout',
};

/**
 * The verdict of one cell from an array of samples: folds them (see foldSamples) and judges the
 * folded cell, so it equals what analyzeFolded gives for the same samples streamed.
 */
export function analyzeCell(input: CellAnalysisInput): CellAnalysis {
  const { samples, ...rest } = input;
  return analyzeFolded(foldSamples(samples, input.phases), rest);
}

/** The verdict of one cell from its folded traffic (CellFold.finish()). Pure. */
export function analyzeFolded(folded: FoldedCell, input: CellJudgeInput): CellAnalysis {
  const measures = measureFolded(folded, {
    phases: input.phases,
    successRatio: input.slo.successRatio,
    from: input.from,
    to: input.to,
    ...(input.via ? { via: input.via } : {}),
  });
  if (measures.timeline) measures.timeline = withBurnRates(measures.timeline, input.slo.successRatio);
  return judgeCell(measures, input);
}

/**
 * The verdict of one cell from what was measured. Pure: every input is a parameter. Status: an
 * error → errored/interrupted/timedout; a failed upgrade → failed (upgrade-failed); a failed load
 * self-check → inconclusive; any other failed check → failed (its category); else passed.
 */
export function judgeCell(m: CellMeasures, input: CellJudgeInput): CellAnalysis {
  const { phases, slo, error } = input;
  const notes: string[] = [];
  const judged = (v: PhaseVersions) => (input.unversioned === 'ignore' ? ignoringUnversioned(v) : v);
  const downtime = m.downtime;
  // The SLO judges the upgrade window; a rollback's outage is reported with the rollback.
  const window = upgradeWindow(phases);
  const upgradeDowntime = window ? clipDowntime(downtime, window.start, window.end) : [];
  const cellDowntime = downtimeSeconds(upgradeDowntime);
  const rollbackSpan = phaseSpan(phases, 'rollback');
  const rollbackDowntime = rollbackSpan
    ? downtimeSeconds(clipDowntime(downtime, rollbackSpan.start, Number.POSITIVE_INFINITY))
    : undefined;
  const errorBudget = m.errorBudget;
  const hasUpgradePhase = phaseSpan(phases, 'upgrade') !== null;
  const load = loadCheck({
    load: input.load,
    slo,
    phases,
    requestsByPhase: errorBudget.byPhase,
    requestsInUpgradeWindow: hasUpgradePhase && input.upgrade.ok ? errorBudget.requests : null,
    ...(input.process ? { process: input.process } : {}),
  });
  const measured = m.total > 0 || !error;

  const checks: Check[] = [];
  if (error?.kind === 'infra') {
    checks.push({
      name: 'infrastructure',
      category: 'infrastructure',
      passed: false,
      value: null,
      limit: null,
      message: `${error.phase}: ${error.message}`,
    });
  }
  // An upgrade cut short by Ctrl-C, a deadline or the harness is not a finding about the product.
  if (input.upgrade.ok || !error) checks.push(upgradeCheck(input.from, input.to, input.upgrade));
  else if (hasUpgradePhase)
    notes.push(`no upgrade check: the cell ended (${error.kind}) during or before the upgrade`);
  if (measured) {
    checks.push(...downtimeChecks(upgradeDowntime, m.samplerClasses, slo));
    checks.push(errorBudgetCheck(errorBudget), ...classErrorBudgetChecks(errorBudget, slo));
    if (hasUpgradePhase) checks.push(...latencyChecks(m, slo, notes));
  } else {
    notes.push('no downtime or error-budget check: no traffic was measured');
  }
  if (m.lateSamples > 0)
    notes.push(
      `downtime: ${m.lateSamples} samples completed later than their timeout allows and were left out of the downtime runs`,
    );
  if (!input.upgrade.ok) notes.push('no version check: the upgrade did not complete');
  else if (error && phaseSpan(phases, 'settle') === null)
    notes.push('no version check: the cell ended before settle');
  else checks.push(versionCheck(judged(m.settleVersions), input.to));
  // A multi-hop cell must really pass through its stops: each stop's settle is served by that stop.
  const hops = (input.via?.length ?? 0) + 1;
  for (const s of m.stopVersions) checks.push(stopVersionCheck(judged(s.versions), s.stop, s.hop, hops));
  if (input.rollback.attempted)
    checks.push(rollbackCheck(judged(m.rollbackVersions), input.from, input.rollback));
  if (input.ledger) checks.push(dataIntegrityCheck(input.ledger));
  else notes.push('no data-integrity check: no data ledger was verified');
  if (input.load.scheduled > 0 || !error) checks.push(loadCheckAsCheck(load, slo));

  const { status, reason } = verdict(input, checks, load.ok ? undefined : load.reason);
  const rollbackCheckResult = checks.find((c) => c.name === 'rollback');

  const analysis: CellAnalysis = {
    status,
    matchedExpectation: matches(input.expected, status, checks),
    downtimeSeconds: cellDowntime,
    downtime,
    errorBudget,
    requests: {
      total: m.total,
      failed: m.total - (m.byOutcome.ok ?? 0),
      dropped: input.load.dropped,
      byOutcome: m.byOutcome,
    },
    latency: m.latency,
    versions: m.versions,
    rollback: {
      attempted: input.rollback.attempted,
      succeeded: rollbackCheckResult ? rollbackCheckResult.passed : null,
      seconds: input.rollback.seconds,
      ...(rollbackDowntime === undefined ? {} : { downtimeSeconds: rollbackDowntime }),
      ...(rollbackCheckResult && !rollbackCheckResult.passed ? { reason: rollbackCheckResult.message } : {}),
    },
    dataIntegrity: input.ledger ?? unverifiedLedger(input.load.acknowledgedKeys.length),
    load,
    checks,
    notes,
  };
  if (m.timeline) analysis.timeline = m.timeline;
  if (reason !== undefined) analysis.reason = reason;
  return analysis;
}

function verdict(
  input: CellJudgeInput,
  checks: readonly Check[],
  loadProblem: string | undefined,
): { status: CellStatus; reason?: string } {
  if (input.error)
    return { status: ERROR_STATUS[input.error.kind], reason: `${input.error.phase}: ${input.error.message}` };
  const failed = [
    ...new Set(checks.filter((c) => !c.passed && c.category !== 'load').map((c) => c.category)),
  ];
  // A product that measurably failed has failed, whatever the generator did; a doubtful generator
  // only keeps a cell from passing.
  if (failed.length === 0) {
    const doubt = loadProblem ?? input.trafficPathProblem;
    return doubt === undefined ? { status: 'passed' } : { status: 'inconclusive', reason: doubt };
  }
  // Downtime, budget and latency measured through a traffic path that itself failed cannot be
  // charged to the product; other findings (it never got ready, lost data) stand.
  if (input.trafficPathProblem && failed.every((c) => TRAFFIC_MEASURED.has(c)))
    return { status: 'inconclusive', reason: input.trafficPathProblem };
  // The expected category first, so "failed as expected" reads as such; the others follow.
  const wanted = input.expected?.reason;
  if (wanted && failed.includes(wanted)) failed.sort((a, b) => Number(b === wanted) - Number(a === wanted));
  return { status: 'failed', reason: failed.join(', ') };
}

const TRAFFIC_MEASURED: ReadonlySet<CheckCategory> = new Set(['downtime', 'error-budget', 'latency']);

/**
 * Findings a known-bad release can explain: it breaks availability. A failed rollback, lost data,
 * or a broken harness are never "as expected" unless the expectation names exactly that.
 */
const AVAILABILITY: ReadonlySet<CheckCategory> = new Set([
  'upgrade-failed',
  'downtime',
  'error-budget',
  'latency',
  'version',
]);

/**
 * Expected given: the same status; if it names a reason, a check of that category failed; and every
 * other failed check is an availability finding the expected failure explains (a release that drops
 * a column fails reads and may cause downtime too) — never a rollback, data-loss, load or
 * infrastructure failure. Not given: the cell passed.
 */
export function matches(
  expected: CellExpectation | undefined,
  status: CellStatus,
  checks: readonly Check[],
): boolean {
  if (!expected) return status === 'passed';
  if (expected.status !== status) return false;
  const failed = checks.filter((c) => !c.passed).map((c) => c.category);
  if (expected.reason === undefined) return failed.every((c) => AVAILABILITY.has(c));
  if (!failed.includes(expected.reason)) return false;
  return failed.every(
    (c) => c === expected.reason || (AVAILABILITY.has(c) && AVAILABILITY.has(expected.reason!)),
  );
}

function unverifiedLedger(acknowledged: number): DataIntegrity {
  return { acknowledged, verified: 0, lost: 0, unverified: acknowledged, lostKeys: [] };
}
