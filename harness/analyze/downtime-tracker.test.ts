import { describe, expect, it } from 'vitest';
import type { Outcome, Sample } from '../common/sample.js';
import { computeDowntime } from './downtime.js';
import { DowntimeTracker } from './downtime-tracker.js';

function sample(
  startMs: number,
  durationMs: number,
  outcome: Outcome = 'ok',
  sampler = 'home:reused',
): Sample {
  return {
    sampler,
    endpoint: 'home',
    endpointClass: 'web',
    connection: 'reused',
    intendedStartMs: startMs,
    startMs,
    endMs: startMs + durationMs,
    outcome,
  };
}

/** In completion order, as a driver delivers them. */
const arrival = (list: Sample[]) => [...list].sort((a, b) => a.endMs - b.endMs);

function track(list: Sample[], options: ConstructorParameters<typeof DowntimeTracker>[0]) {
  const t = new DowntimeTracker(options);
  for (const [i, s] of list.entries()) t.add(s, i);
  return { intervals: t.finish(), stats: t.stats, slackMs: t.slackMs };
}

describe('DowntimeTracker', () => {
  it('puts hung requests back in start order: they complete a timeout after later ones', () => {
    // A request every 10 ms for 3 s; those started in [1000, 1300) hang until the 500 ms timeout.
    const list: Sample[] = [];
    for (let t = 0; t < 3000; t += 10)
      list.push(t >= 1000 && t < 1300 ? sample(t, 500, 'timeout') : sample(t, 2));
    const arrived = arrival(list);
    expect(arrived.findIndex((s) => s.startMs === 1000)).toBeGreaterThan(
      arrived.findIndex((s) => s.startMs === 1400),
    );
    const { intervals, stats } = track(arrived, { timeoutMs: 500 });
    expect(intervals).toEqual([
      {
        sampler: 'home:reused',
        startedAt: 1000,
        endedAt: 1300,
        seconds: 0.3,
        failedSamples: 30,
        failureClasses: { timeout: 30 },
      },
    ]);
    expect(intervals).toEqual(computeDowntime(list));
    expect(stats.lateSamples).toBe(0);
    // rate 100/s × (500 ms + 50 ms slack + 10 ms sweep) + the newest.
    expect(stats.maxBuffered).toBeLessThanOrEqual(57);
  });

  it('ends a run still open at the end with its latest failed end', () => {
    const list = [sample(0, 1), sample(10, 500, 'timeout'), sample(20, 3, 'refused')];
    expect(track(arrival(list), { timeoutMs: 500 }).intervals).toEqual(computeDowntime(list));
    expect(track(arrival(list), { timeoutMs: 500 }).intervals[0]?.endedAt).toBe(510);
  });

  it('counts a sample that took far longer than its timeout as late and leaves it out, then widens the slack', () => {
    const list: Sample[] = [];
    for (let t = 0; t < 4000; t += 10) list.push(sample(t, 1));
    // Timeout 100 ms, but these two took 900 and 700 ms (a stalled event loop fired their timers late).
    list.push(sample(5, 900, 'timeout'), sample(6, 901, 'timeout'));
    list.push(sample(2005, 700, 'timeout'), sample(2006, 701, 'timeout'));
    const narrow = track(arrival(list), { timeoutMs: 100, slackMs: 50, maxSlackMs: 50 });
    expect(narrow.stats.lateSamples).toBe(4);
    expect(narrow.intervals).toEqual([]);
    // With room to adapt, the first overrun (800 ms) widens the slack and the second pair is in order.
    const adaptive = track(arrival(list), { timeoutMs: 100, slackMs: 50, maxSlackMs: 2000 });
    expect(adaptive.slackMs).toBeCloseTo(851, 6);
    expect(adaptive.stats.lateSamples).toBe(2);
    expect(adaptive.intervals).toEqual([
      expect.objectContaining({ startedAt: 2005, endedAt: 2010, failedSamples: 2 }),
    ]);
  });

  it('keeps every sample until finish with an unbounded timeout (exact for any order)', () => {
    const list = [sample(50, 1, 'reset'), sample(40, 1, 'reset'), sample(30, 1), sample(60, 1)];
    const t = track(list, { timeoutMs: Number.POSITIVE_INFINITY });
    expect(t.intervals).toEqual(computeDowntime(list));
    expect(t.intervals).toHaveLength(1);
    expect(t.stats.maxBuffered).toBe(4);
  });
});
