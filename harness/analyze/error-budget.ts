import type { ErrorBudget } from '../common/run-record.js';
import type { FailureClass, PhaseRecord, Sample } from '../common/sample.js';
import { phaseAt, upgradeWindow } from './phases.js';

/** consumedRatio when failures happened but none were allowed (Infinity cannot be written as JSON). */
export const BUDGET_EXHAUSTED_RATIO = 1e9;

/**
 * The error budget over the upgrade window (upgrade start → settle end; see `upgradeWindow`).
 * A sample is in the window when its start is (start <= t < end). Allowed failures =
 * (1 − target) × requests in the window; consumed = failures / allowed (1e9 when none were allowed
 * but some happened, 0 without failures). `byEndpointClass` covers the window; `byPhase` covers
 * every phase the samples fall into (also outside the window, e.g. baseline and rollback).
 */
export function computeErrorBudget(
  samples: readonly Sample[],
  phases: readonly PhaseRecord[],
  target: number,
): ErrorBudget {
  const window = upgradeWindow(phases);
  const budget = emptyErrorBudget(target, window);
  for (const s of samples) {
    const failed = s.outcome !== 'ok';
    const phase = phaseAt(phases, s.startMs);
    if (phase) bump(budget.byPhase, phase.name, failed);
    if (!window || s.startMs < window.start || s.startMs >= window.end) continue;
    budget.requests++;
    bump(budget.byEndpointClass, s.endpointClass, failed);
    if (!failed) continue;
    budget.failures++;
    const c = s.outcome as FailureClass;
    budget.failureClasses[c] = (budget.failureClasses[c] ?? 0) + 1;
    budget.firstFailureAt = Math.min(budget.firstFailureAt ?? s.startMs, s.startMs);
    budget.lastFailureAt = Math.max(budget.lastFailureAt ?? s.startMs, s.startMs);
  }
  budget.allowedFailures = (1 - target) * budget.requests;
  budget.consumedRatio = consumedRatio(budget.failures, budget.allowedFailures);
  return budget;
}

/** failures / allowed: 0 without failures, BUDGET_EXHAUSTED_RATIO when some happened but none were allowed. */
export function consumedRatio(failures: number, allowed: number): number {
  if (failures === 0) return 0;
  if (allowed <= 0) return BUDGET_EXHAUSTED_RATIO;
  return failures / allowed;
}

function bump(
  into: Record<string, { requests: number; failures: number }>,
  key: string,
  failed: boolean,
): void {
  const entry = into[key] ?? { requests: 0, failures: 0 };
  entry.requests++;
  if (failed) entry.failures++;
  into[key] = entry;
}

/** A budget with nothing counted yet, over `window` (0–0 without one). */
export function emptyErrorBudget(target: number, window: { start: number; end: number } | null): ErrorBudget {
  return {
    target,
    windowStart: window?.start ?? 0,
    windowEnd: window?.end ?? 0,
    requests: 0,
    failures: 0,
    allowedFailures: 0,
    consumedRatio: 0,
    failureClasses: {},
    firstFailureAt: null,
    lastFailureAt: null,
    byPhase: {},
    byEndpointClass: {},
  };
}
