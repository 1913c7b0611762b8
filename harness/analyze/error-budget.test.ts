import { describe, expect, it } from 'vitest';
import type { Outcome, PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import { BUDGET_EXHAUSTED_RATIO, computeErrorBudget } from './error-budget.js';

function phase(name: PhaseName, startedAt: number, endedAt: number): PhaseRecord {
  return { name, startedAt, endedAt, status: 'passed' };
}

function sample(startMs: number, outcome: Outcome = 'ok', endpointClass = 'web'): Sample {
  return {
    sampler: `home:reused`,
    endpoint: 'home',
    endpointClass,
    connection: 'reused',
    intendedStartMs: startMs,
    startMs,
    endMs: startMs + 1,
    outcome,
  };
}

const phases = [phase('baseline', 0, 1000), phase('upgrade', 1000, 2000), phase('settle', 2000, 3000)];

describe('computeErrorBudget', () => {
  it('counts requests and failures in the upgrade window (upgrade start → settle end)', () => {
    const samples = [
      sample(500, 'http_5xx'), // baseline: outside the window
      ...Array.from({ length: 1000 }, (_v, i) => sample(1000 + i * 2)),
      sample(1500, 'http_5xx', 'api'),
      sample(1600, 'refused'),
      sample(2999, 'http_5xx'),
      sample(3000, 'http_5xx'), // window end is exclusive
    ];
    const b = computeErrorBudget(samples, phases, 0.99);
    expect(b.windowStart).toBe(1000);
    expect(b.windowEnd).toBe(3000);
    expect(b.requests).toBe(1003);
    expect(b.failures).toBe(3);
    expect(b.allowedFailures).toBeCloseTo(10.03, 9);
    expect(b.consumedRatio).toBeCloseTo(3 / 10.03, 9);
    expect(b.failureClasses).toEqual({ http_5xx: 2, refused: 1 });
    expect(b.firstFailureAt).toBe(1500);
    expect(b.lastFailureAt).toBe(2999);
    expect(b.byEndpointClass).toEqual({
      web: { requests: 1002, failures: 2 },
      api: { requests: 1, failures: 1 },
    });
    expect(b.byPhase.baseline).toEqual({ requests: 1, failures: 1 });
    expect(b.byPhase.upgrade).toEqual({ requests: 502, failures: 2 });
    expect(b.byPhase.settle).toEqual({ requests: 501, failures: 1 });
  });

  it('is over budget when failures exceed the allowance', () => {
    const samples = [
      ...Array.from({ length: 1000 }, (_v, i) => sample(1000 + i)),
      sample(1500, 'timeout'),
      sample(1501, 'timeout'),
    ];
    const b = computeErrorBudget(samples, phases, 0.999);
    expect(b.consumedRatio).toBeCloseTo(2 / 1.002, 6);
    expect(b.consumedRatio).toBeGreaterThan(1);
  });

  it('uses 1e9 when failures happened but none were allowed, and 0 without failures', () => {
    const b = computeErrorBudget([sample(1500), sample(1600, 'reset')], phases, 1);
    expect(b.allowedFailures).toBe(0);
    expect(b.consumedRatio).toBe(BUDGET_EXHAUSTED_RATIO);
    expect(computeErrorBudget([sample(1500)], phases, 1).consumedRatio).toBe(0);
  });

  it('handles zero requests in the window', () => {
    const b = computeErrorBudget([sample(100)], phases, 0.999);
    expect(b).toMatchObject({
      requests: 0,
      failures: 0,
      allowedFailures: 0,
      consumedRatio: 0,
      firstFailureAt: null,
    });
  });

  it('ends the window with the upgrade when there is no settle phase, and is empty without an upgrade', () => {
    const failedUpgrade = [phase('baseline', 0, 1000), phase('upgrade', 1000, 1400)];
    const b = computeErrorBudget([sample(1200, 'refused'), sample(1500, 'refused')], failedUpgrade, 0.999);
    expect(b.windowEnd).toBe(1400);
    expect(b.failures).toBe(1);
    const none = computeErrorBudget([sample(100, 'refused')], [phase('baseline', 0, 1000)], 0.999);
    expect(none).toMatchObject({ windowStart: 0, windowEnd: 0, requests: 0, failures: 0 });
  });

  it('spans several upgrade hops', () => {
    const hops = [phase('upgrade', 1000, 1500), phase('upgrade', 1500, 2000), phase('settle', 2000, 2500)];
    const b = computeErrorBudget([sample(1200), sample(1700), sample(2400)], hops, 0.9);
    expect(b.requests).toBe(3);
    expect(b.byPhase.upgrade?.requests).toBe(2);
  });
});
