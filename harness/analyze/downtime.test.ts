import { describe, expect, it } from 'vitest';
import type { Outcome, Sample } from '../common/sample.js';
import { clipDowntime, computeDowntime, downtimeSeconds, worstSampler } from './downtime.js';

/** Samples of one sampler every 10 ms from t=1000, each 2 ms long; the pattern says ok (.) or failed (x). */
function series(pattern: string, sampler = 'home:reused', failure: Outcome = 'refused', t0 = 1000): Sample[] {
  return [...pattern].map((c, i) => ({
    sampler,
    endpoint: sampler.split(':')[0] as string,
    endpointClass: 'web',
    connection: sampler.endsWith(':new') ? 'new' : 'reused',
    intendedStartMs: t0 + i * 10,
    startMs: t0 + i * 10,
    endMs: t0 + i * 10 + 2,
    outcome: c === 'x' ? failure : 'ok',
  }));
}

describe('computeDowntime', () => {
  it('turns a run of failures into an interval up to the next ok start', () => {
    const intervals = computeDowntime(series('..xxx..'));
    expect(intervals).toEqual([
      {
        sampler: 'home:reused',
        startedAt: 1020,
        endedAt: 1050,
        seconds: 0.03,
        failedSamples: 3,
        failureClasses: { refused: 3 },
      },
    ]);
  });

  it('does not count a single failure or interleaved failures as downtime', () => {
    expect(computeDowntime(series('..x..'))).toEqual([]);
    expect(computeDowntime(series('.x.x.x.x.x.'))).toEqual([]);
    expect(computeDowntime(series('x'))).toEqual([]);
  });

  it('counts exactly two consecutive failures', () => {
    expect(computeDowntime(series('.xx.'))).toHaveLength(1);
  });

  it('ends a run at the end of the data with the last failure end', () => {
    const [interval] = computeDowntime(series('..xxx'));
    expect(interval).toMatchObject({ startedAt: 1020, endedAt: 1042, failedSamples: 3 });
  });

  it('orders by start, not by the order samples arrived in', () => {
    const shuffled = series('..xx..').reverse();
    expect(computeDowntime(shuffled)).toMatchObject([{ startedAt: 1020, endedAt: 1040 }]);
  });

  it('keeps samplers apart: failures of two samplers never join', () => {
    const a = series('.x.x.', 'home:reused');
    const b = series('x.x.x', 'home:new', 'refused', 1005);
    expect(computeDowntime([...a, ...b])).toEqual([]);
  });

  it('counts failure classes of mixed runs', () => {
    const s = series('.xxxx.');
    (s[1] as Sample).outcome = 'reset';
    (s[4] as Sample).outcome = 'timeout';
    expect(computeDowntime(s)[0]?.failureClasses).toEqual({ reset: 1, refused: 2, timeout: 1 });
  });

  it('is empty without samples', () => {
    expect(computeDowntime([])).toEqual([]);
    expect(downtimeSeconds([])).toBe(0);
    expect(worstSampler([])).toBeNull();
  });
});

describe('downtimeSeconds', () => {
  it('takes the worst sampler, not the sum across samplers that saw the same outage', () => {
    const reused = series('..xxxx..', 'home:reused'); // 40 ms
    const fresh = series('..xxx...', 'home:new', 'refused', 1002); // 30 ms
    const intervals = computeDowntime([...reused, ...fresh]);
    expect(intervals).toHaveLength(2);
    expect(downtimeSeconds(intervals)).toBeCloseTo(0.04, 9);
    expect(worstSampler(intervals)).toBe('home:reused');
  });

  it('sums the intervals of one sampler', () => {
    const intervals = computeDowntime(series('.xx..xxx.'));
    expect(intervals).toHaveLength(2);
    expect(downtimeSeconds(intervals)).toBeCloseTo(0.02 + 0.03, 9);
  });

  it('clips intervals to a window: an outage that began just before it counts for its overlap', () => {
    // Failed from t=1020 to the success at t=1100: 80 ms. The window opens at 1021 and closes at 1090.
    const [interval] = computeDowntime(series('..xxxxxxxx.'));
    expect(interval?.seconds).toBeCloseTo(0.08, 9);
    const clipped = clipDowntime(computeDowntime(series('..xxxxxxxx.')), 1021, 1090);
    expect(clipped).toHaveLength(1);
    expect(clipped[0]).toMatchObject({ startedAt: 1021, endedAt: 1090, failedSamples: 8 });
    expect(downtimeSeconds(clipped)).toBeCloseTo(0.069, 9);
    expect(clipDowntime(computeDowntime(series('..xxxxxxxx.')), 1100, 2000)).toEqual([]);
    const whole = computeDowntime(series('..xxxxxxxx.'));
    expect(clipDowntime(whole, 0, 5000)[0]).toBe(whole[0]); // inside the window: unchanged
  });
});
