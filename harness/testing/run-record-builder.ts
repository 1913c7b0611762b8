/**
 * Realistic RunRecord / CellRecord objects for tests of everything that reads a run record
 * (reports, merge-reports, the CLI's exit code). Deterministic: fixed times, no randomness.
 * The numbers hang together the way the analyzer would write them (the budget follows from the
 * requests, downtime seconds are the sum of the intervals), but nothing here is the analyzer.
 */

import {
  type CellExpectation,
  type CellRecord,
  type CellStatus,
  type Check,
  type CheckCategory,
  type DowntimeInterval,
  type ErrorBudget,
  RUN_RECORD_SCHEMA_VERSION,
  type RunRecord,
} from '../common/run-record.js';
import type { FailureClass, Outcome, PhaseName, PhaseRecord, TimelineEvent } from '../common/sample.js';

/** 2026-01-01T02:00:00Z: the start of every built run. */
export const BUILT_RUN_STARTED_AT = Date.UTC(2026, 0, 1, 2, 0, 0);
const CELL_SPACING_MS = 10 * 60_000;

/** What a test may set on any built cell. */
export interface CellInit {
  id?: string;
  axes?: Record<string, string>;
  startedAt?: number;
  expected?: CellExpectation;
}

export interface RunInit {
  cells?: CellRecord[];
  runId?: string;
  matrixName?: string;
  startedAt?: number;
  status?: RunRecord['status'];
  /** Default: what the CLI would choose from the cells. */
  exitCode?: number;
}

const DEFAULT_AXES = {
  platform: 'local',
  method: 'local',
  strategy: 'rolling',
  from: '1.0.0',
  to: '1.1.0',
  rollback: 'never',
  profile: 'small',
};

/** Requests per second per connection mode (reused + new) during every phase. */
const RATE = 50;
const PHASE_SECONDS: Partial<Record<PhaseName, number>> = {
  provision: 2,
  install: 8,
  seed: 1,
  baseline: 30,
  upgrade: 60,
  settle: 30,
  rollback: 15,
  'verify-rollback': 30,
  diagnostics: 1,
  teardown: 1,
};
const SLO_TARGET = 0.999;
const MAX_DOWNTIME_SECONDS = 0;

interface Measured {
  errorBudget: ErrorBudget;
  downtimeSeconds: number;
}

interface CellSpec {
  status: CellStatus;
  reason?: string;
  matchedExpectation: boolean;
  /** Phases that ran, with a status other than passed where it matters. */
  phases: Array<{ name: PhaseName; status?: PhaseRecord['status']; error?: string; seconds?: number }>;
  /** Failed requests by class, all inside the upgrade window. */
  failures: Partial<Record<FailureClass, number>>;
  downtime: Array<{ sampler: string; offsetSeconds: number; seconds: number; failedSamples: number }>;
  rollback?: { succeeded: boolean; seconds: number };
  writesAcknowledged: number;
  lostKeys: string[];
  /** Checks, given what the builder computed from the spec. */
  checks: (m: Measured) => Check[];
  error?: { phase: string; message: string };
  achievedRateRatio?: number;
  loadReason?: string;
  events?: Array<{ offsetSeconds: number; kind: string; message: string }>;
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

/** Start time of the i-th cell of a built run (cells run one after the other). */
export function cellStart(index: number, runStartedAt = BUILT_RUN_STARTED_AT): number {
  return runStartedAt + 1_000 + index * CELL_SPACING_MS;
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

function buildCell(init: CellInit, spec: CellSpec): CellRecord {
  const axes = { ...DEFAULT_AXES, ...init.axes };
  const id = init.id ?? cellId(axes);
  const startedAt = init.startedAt ?? cellStart(0);
  const phases = timeline(startedAt, spec.phases);
  const endedAt = phases.at(-1)?.endedAt ?? startedAt;
  const upgrade = phases.find((p) => p.name === 'upgrade');
  const windowEnd = phases.findLast((p) => WINDOW_END_PHASES.has(p.name));
  const windowStart = upgrade?.startedAt ?? startedAt;
  const windowStop = windowEnd?.endedAt ?? upgrade?.endedAt ?? windowStart;
  const loadPhases = phases.filter((p) => LOAD_PHASES.has(p.name));
  const ratio = spec.achievedRateRatio ?? 0.998;
  const requestsOf = (p: PhaseRecord) => Math.round(((p.endedAt - p.startedAt) / 1000) * RATE * 2 * ratio);
  const total = sum(loadPhases.map(requestsOf));
  const windowRequests = sum(
    loadPhases.filter((p) => p.startedAt >= windowStart && p.endedAt <= windowStop).map(requestsOf),
  );
  const failed = sum(Object.values(spec.failures));
  const byOutcome: Partial<Record<Outcome, number>> =
    total > 0 ? { ok: total - failed, ...spec.failures } : {};
  const downtime: DowntimeInterval[] = spec.downtime.map((d) => {
    const begin = windowStart + d.offsetSeconds * 1000;
    return {
      sampler: d.sampler,
      startedAt: begin,
      endedAt: begin + d.seconds * 1000,
      seconds: d.seconds,
      failedSamples: d.failedSamples,
      failureClasses: { refused: d.failedSamples },
    };
  });
  const servedOld = Math.round(total * 0.45);
  const rolledBack = spec.rollback !== undefined;
  const measured: Measured = {
    errorBudget: errorBudget(windowStart, windowStop, windowRequests, spec.failures),
    downtimeSeconds: Number(sum(downtime.map((d) => d.seconds)).toFixed(3)),
  };
  return {
    id,
    axes,
    status: spec.status,
    ...(spec.reason === undefined ? {} : { reason: spec.reason }),
    ...(init.expected === undefined ? {} : { expected: init.expected }),
    matchedExpectation: spec.matchedExpectation,
    startedAt,
    endedAt,
    phases,
    events: (spec.events ?? []).map(
      (e): TimelineEvent => ({ at: startedAt + e.offsetSeconds * 1000, kind: e.kind, message: e.message }),
    ),
    downtimeSeconds: measured.downtimeSeconds,
    downtime,
    errorBudget: measured.errorBudget,
    requests: { total, failed, dropped: total > 0 ? Math.round(total * (1 - ratio) * 0.1) : 0, byOutcome },
    latency:
      total > 0
        ? {
            api: { count: Math.round(total * 0.7), p50Ms: 4.1, p90Ms: 9.8, p99Ms: 48.2, maxMs: 1_204.5 },
            web: {
              count: total - Math.round(total * 0.7),
              p50Ms: 7.9,
              p90Ms: 15.3,
              p99Ms: 92.6,
              maxMs: 2_010.1,
            },
          }
        : {},
    versions: {
      servedBy:
        total === 0
          ? {}
          : rolledBack
            ? { [axes.from]: total }
            : { [axes.from]: servedOld, [axes.to]: total - servedOld },
      mixedWindow:
        upgrade && !rolledBack
          ? { startedAt: upgrade.startedAt + 5_000, endedAt: upgrade.endedAt - 5_000, seconds: 50 }
          : null,
    },
    rollback: spec.rollback
      ? { attempted: true, succeeded: spec.rollback.succeeded, seconds: spec.rollback.seconds }
      : { attempted: false, succeeded: null, seconds: null },
    dataIntegrity: {
      acknowledged: spec.writesAcknowledged,
      verified: spec.writesAcknowledged - spec.lostKeys.length,
      lost: spec.lostKeys.length,
      unverified: 0,
      lostKeys: spec.lostKeys,
    },
    load: {
      targetRate: RATE * 2,
      achievedRate: Number((RATE * 2 * ratio).toFixed(1)),
      scheduled: total > 0 ? Math.round(total / ratio) : 0,
      sent: total,
      dropped: total > 0 ? Math.round(total * (1 - ratio) * 0.1) : 0,
      scheduleLagP99Ms: ratio < 0.95 ? 412.7 : 1.3,
      ok: ratio >= 0.95,
      ...(spec.loadReason === undefined ? {} : { reason: spec.loadReason }),
    },
    checks: spec.checks(measured),
    ...(spec.error === undefined ? {} : { error: spec.error }),
    artifactsDir: `cells/${id}`,
  };
}

const LOAD_PHASES = new Set<PhaseName>(['baseline', 'upgrade', 'settle', 'rollback', 'verify-rollback']);
/** The upgrade window (the error budget's) runs from the upgrade's start to the last of these. */
const WINDOW_END_PHASES = new Set<PhaseName>(['upgrade', 'settle', 'rollback', 'verify-rollback']);

function timeline(startedAt: number, phases: CellSpec['phases']): PhaseRecord[] {
  let at = startedAt;
  return phases.map((p) => {
    const begin = at;
    at += (p.seconds ?? PHASE_SECONDS[p.name] ?? 1) * 1000;
    return {
      name: p.name,
      startedAt: begin,
      endedAt: at,
      status: p.status ?? 'passed',
      ...(p.error === undefined ? {} : { error: p.error }),
    };
  });
}

const FULL_RUN: PhaseName[] = [
  'provision',
  'install',
  'seed',
  'baseline',
  'upgrade',
  'settle',
  'diagnostics',
  'teardown',
];

function fullPhases(): CellSpec['phases'] {
  return FULL_RUN.map((name) => ({ name }));
}

function errorBudget(
  windowStart: number,
  windowEnd: number,
  requests: number,
  failures: Partial<Record<FailureClass, number>>,
): ErrorBudget {
  const failed = sum(Object.values(failures));
  const allowedFailures = Number(((1 - SLO_TARGET) * requests).toFixed(3));
  const consumedRatio = allowedFailures > 0 ? failed / allowedFailures : failed > 0 ? 1e9 : 0;
  return {
    target: SLO_TARGET,
    windowStart,
    windowEnd,
    requests,
    failures: failed,
    allowedFailures,
    consumedRatio,
    failureClasses: failures,
    firstFailureAt: failed > 0 ? windowStart + 11_500 : null,
    lastFailureAt: failed > 0 ? windowStart + 47_250 : null,
    byPhase: requests > 0 ? { upgrade: { requests: Math.round(requests * 0.66), failures: failed } } : {},
    byEndpointClass: requests > 0 ? { api: { requests: Math.round(requests * 0.7), failures: failed } } : {},
  };
}

function check(
  name: string,
  category: CheckCategory,
  passed: boolean,
  value: number | null,
  limit: number | null,
  message: string,
): Check {
  return { name, category, passed, value, limit, message };
}

function downtimeCheck(m: Measured): Check {
  const seconds = m.downtimeSeconds;
  const passed = seconds <= MAX_DOWNTIME_SECONDS;
  return check(
    'downtime',
    'downtime',
    passed,
    seconds,
    MAX_DOWNTIME_SECONDS,
    `downtime ${seconds.toFixed(3)} s ${passed ? '≤' : '>'} ${MAX_DOWNTIME_SECONDS} s allowed`,
  );
}

function budgetCheck(m: Measured): Check {
  const { failures, allowedFailures, consumedRatio, target } = m.errorBudget;
  const passed = consumedRatio <= 1;
  return check(
    'error-budget',
    'error-budget',
    passed,
    failures,
    allowedFailures,
    `error budget ${(consumedRatio * 100).toFixed(1)} % used: ${failures} failed requests ${passed ? '≤' : '>'} ${allowedFailures} allowed (${target * 100} % over the upgrade window)`,
  );
}

/** downtime, error-budget, version, data-loss and load, as every cell that ran to the end has. */
function standardChecks(m: Measured, acknowledged: number, loadRatio: number, lost = 0): Check[] {
  return [
    downtimeCheck(m),
    budgetCheck(m),
    versionCheck(),
    dataLossCheck(lost, acknowledged),
    loadCheck(loadRatio),
  ];
}

function versionCheck(): Check {
  return check('version', 'version', true, 1, 1, 'all responses in the settle window from the new version');
}

function dataLossCheck(lost: number, acknowledged: number): Check {
  return check(
    'data-loss',
    'data-loss',
    lost === 0,
    lost,
    0,
    `${lost} of ${acknowledged} acknowledged writes lost${lost === 0 ? '' : ' (0 allowed)'}`,
  );
}

function loadCheck(ratio: number): Check {
  return check(
    'load',
    'load',
    ratio >= 0.95,
    ratio,
    0.95,
    `load generator held ${(ratio * 100).toFixed(1)} % of the target rate`,
  );
}

function cellId(axes: Record<string, string>): string {
  return [axes.platform, axes.method, axes.strategy, axes.from, 'to', axes.to, axes.rollback, axes.profile]
    .filter((v): v is string => v !== undefined)
    .join('-');
}

function sum(values: Array<number | undefined>): number {
  return values.reduce<number>((total, v) => total + (v ?? 0), 0);
}
