import type {
  CellExpectation,
  CellRecord,
  CellStatus,
  Check,
  CheckCategory,
  DataIntegrity,
} from '../common/run-record.js';
import type { Outcome, PhaseRecord, Sample } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import type { LoadSummary } from '../load/load-driver.js';
import {
  dataIntegrityCheck,
  downtimeCheck,
  errorBudgetCheck,
  loadCheck,
  loadCheckAsCheck,
  rollbackCheck,
  upgradeCheck,
  versionCheck,
} from './checks.js';
import { computeDowntime, downtimeSeconds } from './downtime.js';
import { computeErrorBudget } from './error-budget.js';
import { computeLatency } from './latency.js';
import { phaseAt, phaseSpan, upgradeWindow } from './phases.js';
import { computeVersions } from './versions.js';

export interface CellAnalysisInput {
  samples: readonly Sample[];
  phases: readonly PhaseRecord[];
  slo: SloConfig;
  from: string;
  to: string;
  upgrade: { ok: boolean; error?: string };
  rollback: { attempted: boolean; ok: boolean | null; seconds: number | null; error?: string };
  /** The data ledger's read-back; null when there was no writer or it was never verified. */
  ledger: DataIntegrity | null;
  load: LoadSummary;
  expected?: CellExpectation;
  /** The harness, its infrastructure, Ctrl-C or a deadline ended the cell early. */
  error?: { phase: string; message: string; kind: 'infra' | 'interrupted' | 'timedout' };
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
> & {
  /** Why checks were left out (things that never happened are not judged). */
  notes: string[];
};

const ERROR_STATUS: Record<NonNullable<CellAnalysisInput['error']>['kind'], CellStatus> = {
  infra: 'errored',
  interrupted: 'interrupted',
  timedout: 'timedout',
};

/**
 * The verdict of one cell from what was measured. Pure: every input is a parameter. Status: an
 * error → errored/interrupted/timedout; a failed upgrade → failed (upgrade-failed); a failed load
 * self-check → inconclusive; any other failed check → failed (its category); else passed.
 */
export function analyzeCell(input: CellAnalysisInput): CellAnalysis {
  const { samples, phases, slo, error } = input;
  const notes: string[] = [];
  const downtime = computeDowntime(samples).map((i) => ({
    ...i,
    phase: phaseAt(phases, i.startedAt)?.name ?? 'none',
  }));
  // The SLO judges the upgrade window; a rollback's outage is reported with the rollback.
  const window = upgradeWindow(phases);
  const upgradeDowntime = window
    ? downtime.filter((i) => i.startedAt >= window.start && i.startedAt < window.end)
    : [];
  const cellDowntime = downtimeSeconds(upgradeDowntime);
  const rollbackSpan = phaseSpan(phases, 'rollback');
  const rollbackDowntime = rollbackSpan
    ? downtimeSeconds(downtime.filter((i) => i.startedAt >= rollbackSpan.start))
    : undefined;
  const errorBudget = computeErrorBudget(samples, phases, slo.successRatio);
  const rollbackStart = phaseSpan(phases, 'rollback')?.start;
  const versions = computeVersions(samples, input.from, input.to, rollbackStart);
  const hasUpgradePhase = phaseSpan(phases, 'upgrade') !== null;
  const load = loadCheck(input.load, slo, hasUpgradePhase && input.upgrade.ok ? errorBudget.requests : null);
  const measured = samples.length > 0 || !error;

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
    checks.push(downtimeCheck(upgradeDowntime, cellDowntime, slo));
    checks.push(errorBudgetCheck(errorBudget));
  } else {
    notes.push('no downtime or error-budget check: no traffic was measured');
  }
  if (!input.upgrade.ok) notes.push('no version check: the upgrade did not complete');
  else if (error && phaseSpan(phases, 'settle') === null)
    notes.push('no version check: the cell ended before settle');
  else checks.push(versionCheck(samples, phases, input.to));
  if (input.rollback.attempted) checks.push(rollbackCheck(samples, phases, input.from, input.rollback));
  if (input.ledger) checks.push(dataIntegrityCheck(input.ledger));
  else notes.push('no data-integrity check: no data ledger was verified');
  if (input.load.scheduled > 0 || !error) checks.push(loadCheckAsCheck(load, slo));

  const { status, reason } = verdict(input, checks, load.ok ? undefined : load.reason);
  const rollbackCheckResult = checks.find((c) => c.name === 'rollback');
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const s of samples) byOutcome[s.outcome] = (byOutcome[s.outcome] ?? 0) + 1;

  const analysis: CellAnalysis = {
    status,
    matchedExpectation: matches(input.expected, status, checks),
    downtimeSeconds: cellDowntime,
    downtime,
    errorBudget,
    requests: {
      total: samples.length,
      failed: samples.length - (byOutcome.ok ?? 0),
      dropped: input.load.dropped,
      byOutcome,
    },
    latency: computeLatency(samples, phases),
    versions,
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
  if (reason !== undefined) analysis.reason = reason;
  return analysis;
}

function verdict(
  input: CellAnalysisInput,
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
  if (failed.length === 0)
    return loadProblem === undefined ? { status: 'passed' } : { status: 'inconclusive', reason: loadProblem };
  // The expected category first, so "failed as expected" reads as such; the others follow.
  const wanted = input.expected?.reason;
  if (wanted && failed.includes(wanted)) failed.sort((a, b) => Number(b === wanted) - Number(a === wanted));
  return { status: 'failed', reason: failed.join(', ') };
}

/**
 * Findings a known-bad release can explain: it breaks availability. A failed rollback, lost data,
 * or a broken harness are never "as expected" unless the expectation names exactly that.
 */
const AVAILABILITY: ReadonlySet<CheckCategory> = new Set([
  'upgrade-failed',
  'downtime',
  'error-budget',
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
