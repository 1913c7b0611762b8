import type { Check, DataIntegrity, DowntimeInterval, ErrorBudget } from '../common/run-record.js';
import type { PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import { worstSampler } from './downtime.js';
import { BUDGET_EXHAUSTED_RATIO } from './error-budget.js';
import { classCounts, percent, seconds3, targetPercent, utcTime } from './format.js';
import { inPhase } from './phases.js';
import { UNKNOWN_VERSION } from './versions.js';

export function upgradeCheck(from: string, to: string, upgrade: { ok: boolean; error?: string }): Check {
  return {
    name: 'upgrade',
    category: 'upgrade-failed',
    passed: upgrade.ok,
    value: null,
    limit: null,
    message: upgrade.ok
      ? `upgrade ${from} → ${to} completed`
      : `upgrade ${from} → ${to} failed${upgrade.error ? `: ${upgrade.error}` : ''}`,
  };
}

export function downtimeCheck(
  intervals: readonly DowntimeInterval[],
  seconds: number,
  slo: SloConfig,
): Check {
  return downtimeCheckAgainst('downtime', '', intervals, seconds, slo.maxDowntimeSeconds);
}

/**
 * A downtime check of `seconds` (the worst sampler's sum of `intervals`) against `limit`; `prefix`
 * names the class or sampler it is about ("class web: ").
 */
export function downtimeCheckAgainst(
  name: string,
  prefix: string,
  intervals: readonly DowntimeInterval[],
  seconds: number,
  limit: number,
): Check {
  const passed = seconds <= limit;
  let message = `${prefix}downtime ${seconds3(seconds)} s ≤ ${limit} s allowed`;
  if (!passed) {
    const sampler = worstSampler(intervals);
    const own = intervals.filter((i) => i.sampler === sampler);
    const first = own[0];
    const last = own[own.length - 1];
    const span = first && last ? `, ${utcTime(first.startedAt)}–${utcTime(last.endedAt)}` : '';
    const count = own.length > 1 ? `, ${own.length} intervals` : '';
    message = `${prefix}downtime ${seconds3(seconds)} s > ${limit} s allowed (${sampler} sampler${span}${count})`;
  }
  return { name, category: 'downtime', passed, value: seconds, limit, message };
}

export function errorBudgetCheck(budget: ErrorBudget): Check {
  const passed = budget.consumedRatio <= 1;
  const allowed = `${budget.allowedFailures.toFixed(1)} allowed at ${targetPercent(budget.target)} of ${budget.requests} requests`;
  let message: string;
  if (budget.requests === 0) {
    message = 'error budget: no requests in the upgrade window';
  } else if (budget.failures === 0) {
    message = `error budget 0% consumed: no failures; ${allowed}`;
  } else {
    const head =
      budget.consumedRatio === BUDGET_EXHAUSTED_RATIO
        ? 'error budget exhausted'
        : `error budget ${percent(budget.consumedRatio)} consumed`;
    const when =
      budget.firstFailureAt !== null && budget.lastFailureAt !== null
        ? ` between ${utcTime(budget.firstFailureAt)} and ${utcTime(budget.lastFailureAt)} UTC`
        : '';
    message = `${head}: ${budget.failures} failures (${classCounts(budget.failureClasses)})${when} in the upgrade window; ${allowed}`;
  }
  return {
    name: 'error-budget',
    category: 'error-budget',
    passed,
    value: budget.consumedRatio,
    limit: 1,
    message,
  };
}

/** Who answered the ok requests that started inside a phase: all of them, and those not from the expected version. */
export interface PhaseVersions {
  total: number;
  wrong: number;
  /** The other versions and their counts (`unknown` when none was read). */
  others: Record<string, number>;
  /** Responses that said no version and were left out (`versionProbe.unversioned: ignore`). */
  unversioned?: number;
}

/**
 * `versionProbe.unversioned: ignore`: responses that carry no version (an endpoint that does not
 * say which release served it) are left out of the version judgement, and counted apart.
 */
export function ignoringUnversioned(v: PhaseVersions): PhaseVersions {
  const unknown = v.others[UNKNOWN_VERSION] ?? 0;
  if (unknown === 0) return v;
  const { [UNKNOWN_VERSION]: _left, ...others } = v.others;
  return { total: v.total - unknown, wrong: v.wrong - unknown, others, unversioned: unknown };
}

/** PhaseVersions of the ok samples that started inside the named phase(s) (the array-based form). */
export function versionsInPhase(
  samples: readonly Sample[],
  phases: readonly PhaseRecord[],
  phase: PhaseName,
  expected: string,
): PhaseVersions {
  let total = 0;
  const others: Record<string, number> = {};
  for (const s of samples) {
    if (s.outcome !== 'ok' || !inPhase(phases, phase, s.startMs)) continue;
    total++;
    if (s.version !== expected) {
      const v = s.version ?? UNKNOWN_VERSION;
      others[v] = (others[v] ?? 0) + 1;
    }
  }
  const wrong = Object.values(others).reduce((a, b) => a + b, 0);
  return { total, wrong, others };
}

function versionMessage(phase: string, expected: string, v: PhaseVersions): string {
  const left = v.unversioned ? ` (${v.unversioned} without a version not judged)` : '';
  return `${versionVerdict(phase, expected, v)}${left}`;
}

function versionVerdict(phase: string, expected: string, v: PhaseVersions): string {
  if (v.total === 0)
    return `${phase}: no successful responses to check the serving version against ${expected}`;
  if (v.wrong === 0) return `${phase}: ${v.total} of ${v.total} responses from ${expected}`;
  return `${phase}: ${v.wrong} of ${v.total} responses not from ${expected} (${classCounts(v.others)})`;
}

/** All ok responses of the settle phase (`v`) came from `to` (and there were some). */
export function versionCheck(v: PhaseVersions, to: string): Check {
  return {
    name: 'version',
    // Nothing to judge is a measurement gap, not a finding about the product.
    category: v.total > 0 ? 'version' : 'load',
    passed: v.total > 0 && v.wrong === 0,
    value: v.total > 0 ? v.wrong : null,
    limit: 0,
    message: versionMessage('settle', to, v),
  };
}

/** A stop of a multi-hop path: every ok response of the settle after hop `hop` of `hops` came from `stop`. */
export function stopVersionCheck(v: PhaseVersions, stop: string, hop: number, hops: number): Check {
  return {
    name: `version-stop-${hop}`,
    category: v.total > 0 ? 'version' : 'load',
    passed: v.total > 0 && v.wrong === 0,
    value: v.total > 0 ? v.wrong : null,
    limit: 0,
    message: versionMessage(`settle after hop ${hop}/${hops} (stop ${stop})`, stop, v),
  };
}

/** The rollback finished, and every ok response of the verify-rollback phase (`v`) came from `from`. */
export function rollbackCheck(
  v: PhaseVersions,
  from: string,
  rollback: { ok: boolean | null; seconds: number | null; error?: string },
): Check {
  const base = { name: 'rollback', category: 'rollback' as const, value: rollback.seconds, limit: null };
  if (rollback.ok !== true) {
    return {
      ...base,
      passed: false,
      message: `rollback to ${from} failed${rollback.error ? `: ${rollback.error}` : ''}`,
    };
  }
  const took = rollback.seconds === null ? '' : ` in ${rollback.seconds.toFixed(1)} s`;
  return {
    ...base,
    // Nothing to judge the serving version by is a measurement gap, as in the version check.
    ...(v.total === 0 ? { category: 'load' as const } : {}),
    passed: v.total > 0 && v.wrong === 0,
    message: `rollback to ${from} finished${took}; ${versionMessage('verify-rollback', from, v)}`,
  };
}

export function dataIntegrityCheck(ledger: DataIntegrity): Check {
  const passed = ledger.lost === 0 && ledger.unverified === 0;
  let message = `${ledger.verified} of ${ledger.acknowledged} acknowledged writes read back`;
  if (!passed) {
    const keys =
      ledger.lostKeys.length > 0
        ? ` (${ledger.lostKeys.slice(0, 5).join(', ')}${ledger.lost > 5 ? ', …' : ''})`
        : '';
    message = `${ledger.lost} of ${ledger.acknowledged} acknowledged writes lost${keys}, ${ledger.unverified} could not be read back`;
  }
  return { name: 'data-integrity', category: 'data-loss', passed, value: ledger.lost, limit: 0, message };
}
