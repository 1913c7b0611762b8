import { describe, expect, it } from 'vitest';
import type { Outcome, PhaseRecord, Sample } from '../common/sample.js';
import { computeLatency, summarize } from './latency.js';

function sample(intended: number, start: number, end: number, outcome: Outcome = 'ok'): Sample {
  return {
    sampler: 'home:reused',
    endpoint: 'home',
    endpointClass: 'web',
    connection: 'reused',
    intendedStartMs: intended,
    startMs: start,
    endMs: end,
    outcome,
  };
}

describe('summarize', () => {
  it('computes percentiles of 1..100 ms within HDR precision and the exact max', () => {
    const s = summarize(Array.from({ length: 100 }, (_v, i) => i + 1));
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeCloseTo(50, 1);
    expect(s.p90Ms).toBeCloseTo(90, 1);
    expect(s.p99Ms).toBeCloseTo(99, 1);
    expect(s.maxMs).toBe(100);
  });

  it('keeps sub-millisecond values', () => {
    expect(summarize([0.25, 0.25, 0.25]).p50Ms).toBeCloseTo(0.25, 3);
  });

  it('is zeros when empty', () => {
    expect(summarize([])).toEqual({ count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe('computeLatency', () => {
  const phases: PhaseRecord[] = [
    { name: 'baseline', startedAt: 0, endedAt: 1000, status: 'passed' },
    { name: 'upgrade', startedAt: 1000, endedAt: 2000, status: 'passed' },
  ];

  it('measures ok samples from the intended start, per phase and over all', () => {
    const samples = [
      sample(100, 150, 160), // 60 ms from intended, though only 10 ms from dispatch
      sample(200, 200, 210),
      sample(1100, 1100, 1400),
      sample(1200, 1200, 5000, 'timeout'), // failures do not count
    ];
    const l = computeLatency(samples, phases);
    expect(l.all?.count).toBe(3);
    expect(l.all?.maxMs).toBe(300);
    expect(l.baseline).toMatchObject({ count: 2, maxMs: 60 });
    expect(l.baseline?.p99Ms).toBeCloseTo(60, 1);
    expect(l.upgrade).toMatchObject({ count: 1, maxMs: 300 });
    expect(l.settle).toBeUndefined();
  });

  it('always has an all entry', () => {
    expect(computeLatency([], phases)).toEqual({ all: { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 } });
  });
});
