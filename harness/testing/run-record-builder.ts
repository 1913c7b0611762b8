/**
 * Realistic RunRecord / CellRecord objects for tests of everything that reads a run record
 * (reports, merge-reports, the CLI's exit code). Deterministic: fixed times, no randomness.
 * The numbers hang together the way the analyzer would write them (the budget follows from the
 * requests, downtime seconds are the sum of the intervals), but nothing here is the analyzer.
 */

import {
  type CellExpectation,
  type CellRecord,
  RUN_RECORD_SCHEMA_VERSION,
  type RunRecord,
} from '../common/run-record.js';
import {
  BUILT_RUN_STARTED_AT,
  budgetCheck,
  buildCell,
  type CellInit,
  cellStart,
  check,
  dataLossCheck,
  downtimeCheck,
  fullPhases,
  loadCheck,
  standardChecks,
  versionCheck,
} from './run-record-cell-builder.js';

export { BUILT_RUN_STARTED_AT, type CellInit, cellStart } from './run-record-cell-builder.js';

export interface RunInit {
  cells?: CellRecord[];
  runId?: string;
  matrixName?: string;
  startedAt?: number;
  status?: RunRecord['status'];
  /** Default: what the CLI would choose from the cells. */
  exitCode?: number;
}

/** All checks passed. */
export function passedCell(init: CellInit = {}): CellRecord {
  return buildCell(init, {
    status: 'passed',
    matchedExpectation: init.expected === undefined || init.expected.status === 'passed',
    phases: fullPhases(),
    failures: { http_5xx: 3 },
    downtime: [],
    writesAcknowledged: 1_200,
    lostKeys: [],
    checks: (m) => standardChecks(m, 1_200, 0.998),
  });
}

/** A recreate upgrade that took the service down for a few seconds: downtime and budget breached. */
export function downtimeFailedCell(init: CellInit = {}): CellRecord {
  const downtime = [
    { sampler: 'home:reused', offsetSeconds: 12, seconds: 3.214, failedSamples: 161 },
    { sampler: 'home:new', offsetSeconds: 12.02, seconds: 3.301, failedSamples: 165 },
  ];
  return buildCell(
    { axes: { strategy: 'recreate' }, ...init },
    {
      status: 'failed',
      reason: 'downtime',
      matchedExpectation: init.expected?.status === 'failed',
      phases: fullPhases(),
      failures: { refused: 302, reset: 24 },
      downtime,
      writesAcknowledged: 1_180,
      lostKeys: [],
      checks: (m) => standardChecks(m, 1_180, 0.997),
    },
  );
}

/** A release with a known defect: interleaved 5xx burn the budget, and the matrix expects that. */
export function expectedErrorBudgetFailureCell(init: CellInit = {}): CellRecord {
  const expected: CellExpectation = init.expected ?? { status: 'failed', reason: 'error-budget' };
  return buildCell(
    { axes: { to: '1.2.0' }, ...init, expected },
    {
      status: 'failed',
      reason: 'error-budget',
      matchedExpectation:
        expected.status === 'failed' && (expected.reason ?? 'error-budget') === 'error-budget',
      phases: fullPhases(),
      failures: { http_5xx: 40 },
      downtime: [],
      writesAcknowledged: 1_200,
      lostKeys: [],
      checks: (m) => standardChecks(m, 1_200, 0.999),
    },
  );
}

/** The platform could not be provisioned; nothing was measured. */
export function erroredCell(init: CellInit = {}): CellRecord {
  const message =
    'postgres "main" did not become ready within 60 s: pg_ctl exited with code 1 <FATAL: lock file "postmaster.pid" already exists>';
  return buildCell(
    { axes: { platform: 'local', profile: 'large' }, ...init },
    {
      status: 'errored',
      reason: message,
      matchedExpectation: init.expected?.status === 'errored',
      phases: [
        { name: 'provision', status: 'errored', error: message },
        { name: 'diagnostics' },
        { name: 'teardown' },
      ],
      failures: {},
      downtime: [],
      writesAcknowledged: 0,
      lostKeys: [],
      checks: () => [],
      error: { phase: 'provision', message },
    },
  );
}

/** The upgrade never became ready; the rollback policy took it back to N, which worked. */
export function rolledBackCell(init: CellInit = {}): CellRecord {
  const upgradeError = 'replica web-2 on 1.1.0 not ready within 120 s (readiness: HTTP 503)';
  return buildCell(
    { axes: { rollback: 'on-failure' }, ...init },
    {
      status: 'failed',
      reason: 'upgrade-failed',
      matchedExpectation: init.expected?.status === 'failed',
      phases: [
        ...fullPhases().filter((p) => ['provision', 'install', 'seed', 'baseline'].includes(p.name)),
        { name: 'upgrade', status: 'failed', error: upgradeError, seconds: 125 },
        { name: 'rollback' },
        { name: 'verify-rollback' },
        { name: 'diagnostics' },
        { name: 'teardown' },
      ],
      failures: { http_5xx: 9, timeout: 2 },
      downtime: [],
      rollback: { succeeded: true, seconds: 12.34 },
      writesAcknowledged: 1_450,
      lostKeys: [],
      checks: (m) => [
        check('upgrade', 'upgrade-failed', false, null, null, `upgrade to 1.1.0 failed: ${upgradeError}`),
        downtimeCheck(m),
        budgetCheck(m),
        check('rollback', 'rollback', true, 12.34, 300, 'rollback to 1.0.0 in 12.3 s ≤ 300 s allowed'),
        dataLossCheck(0, 1_450),
        loadCheck(0.996),
      ],
      events: [
        { offsetSeconds: 41 + 125, kind: 'rollback', message: 'upgrade failed; rolling back to 1.0.0' },
      ],
    },
  );
}

/** The load generator could not hold the rate, so the verdict is not trustworthy. */
export function inconclusiveCell(init: CellInit = {}): CellRecord {
  const loadReason = 'achieved 38.2 of 50 req/s (76.4 %) in phase upgrade; minimum is 95 %';
  return buildCell(
    { axes: { profile: 'large' }, ...init },
    {
      status: 'inconclusive',
      reason: 'load',
      matchedExpectation: init.expected?.status === 'inconclusive',
      phases: fullPhases(),
      failures: { timeout: 25 },
      downtime: [],
      writesAcknowledged: 900,
      lostKeys: [],
      checks: (m) => [
        downtimeCheck(m),
        budgetCheck(m),
        versionCheck(),
        dataLossCheck(0, 900),
        check('load', 'load', false, 0.764, 0.95, `load ${loadReason}`),
      ],
      achievedRateRatio: 0.764,
      loadReason,
    },
  );
}

/** The matrix expected the defect to show, but this cell passed. */
export function unexpectedPassCell(init: CellInit = {}): CellRecord {
  return passedCell({ ...init, expected: init.expected ?? { status: 'failed', reason: 'error-budget' } });
}

/** Writes acknowledged before the upgrade did not read back afterwards. */
export function lostWritesCell(init: CellInit = {}): CellRecord {
  const lostKeys = Array.from({ length: 12 }, (_, i) => `w-${String(1000 + i * 7)}`);
  return buildCell(init, {
    status: 'failed',
    reason: 'data-loss',
    matchedExpectation: init.expected?.status === 'failed',
    phases: fullPhases(),
    failures: {},
    downtime: [],
    writesAcknowledged: 1_200,
    lostKeys,
    checks: (m) => standardChecks(m, 1_200, 0.998, lostKeys.length),
  });
}

/**
 * The five-cell run the report tests use: passed; failed on downtime; failed on the error budget as
 * expected; errored; upgrade failed and rolled back.
 */
export function realisticRunRecord(init: Omit<RunInit, 'cells'> = {}): RunRecord {
  return buildRunRecord({
    ...init,
    cells: [
      passedCell({ startedAt: cellStart(0) }),
      downtimeFailedCell({ startedAt: cellStart(1) }),
      expectedErrorBudgetFailureCell({ startedAt: cellStart(2) }),
      erroredCell({ startedAt: cellStart(3) }),
      rolledBackCell({ startedAt: cellStart(4) }),
    ],
  });
}

export function buildRunRecord(init: RunInit = {}): RunRecord {
  const startedAt = init.startedAt ?? BUILT_RUN_STARTED_AT;
  const cells = init.cells ?? [passedCell({ startedAt: cellStart(0, startedAt) })];
  const endedAt = Math.max(startedAt + 1_000, ...cells.map((c) => c.endedAt)) + 500;
  const status = init.status ?? 'completed';
  const name = init.matrixName ?? 'demo';
  return {
    schemaVersion: RUN_RECORD_SCHEMA_VERSION,
    runId: init.runId ?? '20260101-020000-demo-a1b2',
    tool: { name: 'upgrade-harness', version: '0.1.0' },
    startedAt,
    endedAt,
    status,
    exitCode: init.exitCode ?? exitCodeFor(cells, status),
    matrix: { file: `matrices/${name}.yaml`, name },
    scenario: { file: 'scenarios/reference-app.yaml', name: 'reference-app' },
    host: { node: 'v20.20.2', platform: 'linux-x64', cpus: 2 },
    cells,
  };
}

/** The CLI's documented rule, restated for tests: 130 interrupted, 3 not judged, 1 failed, 0 all as expected. */
function exitCodeFor(cells: CellRecord[], status: RunRecord['status']): number {
  if (status === 'interrupted') return 130;
  const unexpected = cells.filter((c) => !c.matchedExpectation);
  if (unexpected.some((c) => c.status !== 'passed' && c.status !== 'failed')) return 3;
  return unexpected.length > 0 ? 1 : 0;
}
