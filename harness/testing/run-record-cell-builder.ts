/**
 * The machinery behind run-record-builder.ts: a cell spec (phases, failures, downtime, checks) turned
 * into a CellRecord whose numbers hang together. Deterministic: fixed times, no randomness.
 */

import type {
  CellExpectation,
  CellRecord,
  CellStatus,
  Check,
  CheckCategory,
  DowntimeInterval,
  ErrorBudget,
} from '../common/run-record.js';
import type { FailureClass, Outcome, PhaseName, PhaseRecord, TimelineEvent } from '../common/sample.js';
import { buildTimeline } from './run-record-timeline.js';

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
/** Where the failures of a cell without downtime fall, from the upgrade's start. */
const FIRST_FAILURE_MS = 11_500;
const LAST_FAILURE_MS = 47_250;
const MAX_DOWNTIME_SECONDS = 0;

export interface Measured {
  errorBudget: ErrorBudget;
  downtimeSeconds: number;
}

export interface CellSpec {
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

/** Start time of the i-th cell of a built run (cells run one after the other). */
export function cellStart(index: number, runStartedAt = BUILT_RUN_STARTED_AT): number {
  return runStartedAt + 1_000 + index * CELL_SPACING_MS;
}

export function buildCell(init: CellInit, spec: CellSpec): CellRecord {
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
  const mixedWindow =
    upgrade && !rolledBack
      ? { startedAt: upgrade.startedAt + 5_000, endedAt: upgrade.endedAt - 5_000 }
      : null;
  const cellTimeline = buildTimeline({
    loadPhases,
    requestsOf,
    failures: spec.failures,
    downtime,
    failureSpan: { startedAt: windowStart + FIRST_FAILURE_MS, endedAt: windowStart + LAST_FAILURE_MS },
    from: axes.from,
    to: axes.to,
    mixedWindow,
    sloTarget: SLO_TARGET,
  });
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
      mixedWindow: mixedWindow ? { ...mixedWindow, seconds: 50 } : null,
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
    ...(cellTimeline === undefined ? {} : { timeline: cellTimeline }),
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

export function fullPhases(): CellSpec['phases'] {
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
    firstFailureAt: failed > 0 ? windowStart + FIRST_FAILURE_MS : null,
    lastFailureAt: failed > 0 ? windowStart + LAST_FAILURE_MS : null,
    byPhase: requests > 0 ? { upgrade: { requests: Math.round(requests * 0.66), failures: failed } } : {},
    byEndpointClass: requests > 0 ? { api: { requests: Math.round(requests * 0.7), failures: failed } } : {},
  };
}

export function check(
  name: string,
  category: CheckCategory,
  passed: boolean,
  value: number | null,
  limit: number | null,
  message: string,
): Check {
  return { name, category, passed, value, limit, message };
}

export function downtimeCheck(m: Measured): Check {
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

export function budgetCheck(m: Measured): Check {
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
export function standardChecks(m: Measured, acknowledged: number, loadRatio: number, lost = 0): Check[] {
  return [
    downtimeCheck(m),
    budgetCheck(m),
    versionCheck(),
    dataLossCheck(lost, acknowledged),
    loadCheck(loadRatio),
  ];
}

export function versionCheck(): Check {
  return check('version', 'version', true, 1, 1, 'all responses in the settle window from the new version');
}

export function dataLossCheck(lost: number, acknowledged: number): Check {
  return check(
    'data-loss',
    'data-loss',
    lost === 0,
    lost,
    0,
    `${lost} of ${acknowledged} acknowledged writes lost${lost === 0 ? '' : ' (0 allowed)'}`,
  );
}

export function loadCheck(ratio: number): Check {
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
