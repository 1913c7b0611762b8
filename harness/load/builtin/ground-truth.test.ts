/**
 * Ground truth: the builtin driver against servers with scripted outages (each in a child process
 * that records when every edge really took effect), analyzed both by the array functions of
 * analyze/ and by the CellFold the cell runner streams samples into. Downtime must match the truth
 * within max(5 ms, 2/rate) per sampler, for outages from 50 ms to 5 s. No case skips itself: a
 * window whose load stalled near its edges is run again, and after the last try its tolerance is
 * widened by exactly the stall measured (see ground-truth-run.ts), which the message states.
 */
import { describe, expect, it } from 'vitest';
import { computeDowntime, downtimeSeconds } from '../../analyze/downtime.js';
import { computeVersions } from '../../analyze/versions.js';
import type { DowntimeInterval } from '../../common/run-record.js';
import type { Sample } from '../../common/sample.js';
import { analyze, runsOf, SAMPLERS, strayDowntime, windowProblems } from './ground-truth-check.js';
import {
  drive,
  experiment,
  INTERVAL_MS,
  layout,
  type Measured,
  RATE,
  type Run,
  TOLERANCE_MS,
} from './ground-truth-run.js';

/** The downtime intervals near the measured window. */
function intervalsNear(intervals: readonly DowntimeInterval[], m: Measured): DowntimeInterval[] {
  return intervals.filter((i) => i.endedAt > m.truth.start - 100 && i.startedAt < m.truth.end + 100);
}

/** Per run: no downtime the script did not cause, the fold's downtime is the array's, nothing dropped. */
function expectCleanRuns(runs: readonly Run[]): void {
  for (const run of runs) {
    const { folded } = analyze(run);
    const reference = computeDowntime(run.samples);
    expect(strayDowntime(reference, run)).toEqual([]);
    expect(folded.downtime).toEqual(reference);
    expect(run.summaries.map((s) => s.dropped)).toEqual(run.summaries.map(() => 0));
    expect(run.servers.flatMap((s) => s.errors)).toEqual([]);
  }
}

/**
 * The error budget counts exactly these failures, both ways: all of them by phase, and those that
 * started from the upgrade phase on (the window at the truth's start) in the budget itself.
 */
function expectBudgetCounts(run: Run, failures: readonly Sample[]): void {
  const { streamed, reference, phases } = analyze(run);
  expect(streamed.errorBudget).toEqual(reference.errorBudget);
  const budget = streamed.errorBudget;
  const byPhase = Object.values(budget.byPhase).reduce((n, p) => n + p.failures, 0);
  expect(byPhase).toBe(failures.length);
  const from = phases[1]?.startedAt ?? Number.NaN;
  expect(budget.failures).toBe(failures.filter((s) => s.startMs >= from).length);
  expect(Object.values(budget.failureClasses).reduce((n, c) => n + (c ?? 0), 0)).toBe(budget.failures);
}

/** One sampler's outcomes in start order: `.` ok, `x` failed. */
function pattern(samples: readonly Sample[], sampler: string): string {
  return samples
    .filter((s) => s.sampler === sampler)
    .sort((a, b) => a.startMs - b.startMs)
    .map((s) => (s.outcome === 'ok' ? '.' : 'x'))
    .join('');
}

/** The stretch from the first to the last failure of a pattern. */
const failingStretch = (p: string): string => p.slice(p.indexOf('x'), p.lastIndexOf('x') + 1);

describe(`ground truth: downtime within max(5 ms, 2/rate) = ${TOLERANCE_MS} ms at ${RATE} req/s per sampler`, () => {
  it('measures refusals of 50 ms, 200 ms, 1 s and 5 s per sampler, through computeDowntime and CellFold', async () => {
    const measured = await experiment(
      [50, 200, 1000, 5000].map((lengthMs) => ({ mode: 'refuse', lengthMs })),
    );
    expect(measured.flatMap((m) => windowProblems(m))).toEqual([]);
    for (const m of measured) {
      for (const i of intervalsNear(computeDowntime(m.run.samples), m)) {
        const classes = Object.keys(i.failureClasses);
        expect(
          classes.every((c) => c === 'refused' || c === 'reset'),
          `${classes.join()} (${m.note})`,
        ).toBe(true);
        expect(i.failureClasses.refused ?? 0, m.note).toBeGreaterThan(i.failedSamples / 2);
      }
    }
    expectCleanRuns(runsOf(measured));
  });

  it('measures 503 windows of 50 ms, 200 ms and 1 s per sampler, through computeDowntime and CellFold', async () => {
    const measured = await experiment([50, 200, 1000].map((lengthMs) => ({ mode: '503', lengthMs })));
    expect(measured.flatMap((m) => windowProblems(m))).toEqual([]);
    for (const m of measured) {
      for (const i of intervalsNear(computeDowntime(m.run.samples), m))
        expect(Object.keys(i.failureClasses), m.note).toEqual(['http_5xx']);
    }
    for (const run of runsOf(measured)) {
      const answered503 = run.servers[0]?.stats.byStatus[503] ?? -1;
      expect(run.samples.filter((s) => s.outcome === 'http_5xx')).toHaveLength(answered503);
      expect(analyze(run).streamed.byOutcome.http_5xx).toBe(answered503);
    }
    expectCleanRuns(runsOf(measured));
  });

  it('measures a window of hung requests as timeouts, its downtime within the bound', async () => {
    const [m] = await experiment([{ mode: 'hang', lengthMs: 300 }], { loads: [{ timeoutMs: 150 }] });
    if (!m) throw new Error('no measurement');
    const failed = m.run.samples.filter((s) => s.outcome !== 'ok');
    expect(failed.length, m.note).toBeGreaterThan(50);
    expect(failed.every((s) => s.outcome === 'timeout')).toBe(true);
    for (const s of failed) {
      expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(149);
      expect(s.endMs - s.startMs, m.note).toBeLessThan(1000 + m.stallMs);
    }
    expect(windowProblems(m)).toEqual([]);
    const intervals = computeDowntime(m.run.samples);
    const length = m.truth.end - m.truth.start;
    expect(Math.abs(downtimeSeconds(intervals) * 1000 - length), m.note).toBeLessThanOrEqual(m.toleranceMs);
    expectCleanRuns([m.run]);
  });

  it('classifies reset connections as reset, its downtime within the bound', async () => {
    const [m] = await experiment([{ mode: 'reset', lengthMs: 200 }]);
    if (!m) throw new Error('no measurement');
    expect(windowProblems(m)).toEqual([]);
    for (const i of computeDowntime(m.run.samples)) expect(Object.keys(i.failureClasses)).toEqual(['reset']);
    expectCleanRuns([m.run]);
  });

  let cutRun: Promise<Measured> | null = null;
  const cutMidBody = (): Promise<Measured> => {
    cutRun ??= experiment([{ mode: 'reset-mid', lengthMs: 200 }]).then(([m]) => {
      if (!m) throw new Error('no measurement');
      return m;
    });
    return cutRun;
  };

  it('counts answers cut off mid-body as failures, exactly the ones the server cut', async () => {
    const m = await cutMidBody();
    expect(windowProblems(m)).toEqual([]);
    const failed = m.run.samples.filter((s) => s.outcome !== 'ok');
    expect(failed.length, m.note).toBe(m.run.servers[0]?.stats.midResponseResets);
    // The headers had arrived: each sample keeps their status.
    expect(new Set(failed.map((s) => s.status))).toEqual(new Set([200]));
    const reused = failed.filter((s) => s.connection === 'reused');
    expect(reused.length).toBeGreaterThan(20); // ≈ 40 in 200 ms
    expect(reused.every((s) => s.outcome === 'reset')).toBe(true);
    expect(failed.length - reused.length).toBeGreaterThan(20);
    // The same server event is the same class on both samplers (undici says UND_ERR_SOCKET on a
    // keep-alive connection and UND_ERR_RES_CONTENT_LENGTH_MISMATCH on `connection: close`).
    expect(new Set(failed.map((s) => s.outcome))).toEqual(new Set(['reset']));
    expectBudgetCounts(m.run, failed);
    expectCleanRuns([m.run]);
  });
});

describe('ground truth: failures that are not downtime', () => {
  it('counts interleaved failures exactly, as errors that burn the budget and not as downtime', async () => {
    // The server fails every 3rd request of a connection kind in the order they arrive; the
    // analysis orders a sampler's samples by start. One load per sampler with one request in
    // flight makes both orders the same even when a stall makes the load send in bursts. Nothing
    // here depends on timing, so one run is enough.
    const { script, durationMs } = layout([{ mode: 'interleave', lengthMs: 500, every: 3 }]);
    const run = await drive({
      replicas: [{ script }],
      durationMs,
      loads: [
        { connections: ['reused'], maxInFlight: 1 },
        { connections: ['new'], maxInFlight: 1 },
      ],
    });
    for (const sampler of SAMPLERS) {
      // between its first and last failure, the sampler saw exactly two ok answers per failure
      const failing = failingStretch(pattern(run.samples, sampler));
      expect(failing, sampler).toMatch(/^x(\.\.x)+$/);
      expect(failing.length, sampler).toBeGreaterThan(30); // ≈ 100 requests in 500 ms
    }
    const failures = run.samples.filter((s) => s.outcome !== 'ok');
    expect(failures.length).toBe(run.servers[0]?.stats.interleaved503);
    expect(failures.every((s) => s.outcome === 'http_5xx')).toBe(true);
    const { folded, streamed, reference } = analyze(run);
    expect(computeDowntime(run.samples)).toEqual([]);
    expect(folded.downtime).toEqual([]);
    for (const budget of [streamed.errorBudget, reference.errorBudget]) {
      expect(budget.failures).toBe(failures.length);
      expect(budget.failureClasses).toEqual({ http_5xx: failures.length });
      expect(budget.consumedRatio).toBeGreaterThan(1);
      expect(budget.byPhase.baseline?.failures).toBe(0);
    }
  });

  it('503 from one replica of three: exactly its requests fail, and there is no downtime', async () => {
    // Each load round-robins over the three replicas in dispatch order, which is its samples'
    // start order, so the failing replica gets every third request of each sampler.
    const { script, durationMs } = layout([{ mode: '503', lengthMs: 1000 }]);
    const run = await drive({
      replicas: [{ initialVersion: 'r0' }, { initialVersion: 'r1' }, { initialVersion: 'r2', script }],
      durationMs,
      loads: [{ connections: ['reused'] }, { connections: ['new'] }],
    });
    const [r0, r1, r2] = run.servers;
    const failures = run.samples.filter((s) => s.outcome !== 'ok');
    expect(failures.length).toBeGreaterThan(60); // ≈ 2 × 200 / 3 in 1 s
    expect(failures.length).toBe(r2?.stats.byStatus[503]);
    expect([r0?.stats.byStatus[503], r1?.stats.byStatus[503]]).toEqual([undefined, undefined]);
    expect(new Set(failures.map((s) => `${s.outcome} ${s.version}`))).toEqual(new Set(['http_5xx r2']));
    for (const sampler of SAMPLERS) {
      const p = pattern(run.samples, sampler);
      expect(failingStretch(p), sampler).toMatch(/^x(\.\.x)+$/);
    }
    const requests = run.servers.map((s) => s.stats.requests);
    expect(Math.max(...requests) - Math.min(...requests), requests.join()).toBeLessThanOrEqual(2);
    const { folded, reference } = analyze(run);
    expect(reference.downtime).toEqual([]);
    expect(folded.downtime).toEqual([]);
    expectBudgetCounts(run, failures);
    expect(run.servers.flatMap((s) => s.errors)).toEqual([]);
  });

  it('a latency spike without failures: no downtime, and the p99 of its window shows the delay', async () => {
    const DELAY_MS = 250;
    const [m] = await experiment([{ mode: 'delay', lengthMs: 500, delayMs: DELAY_MS }], { responses: false });
    if (!m) throw new Error('no measurement');
    const { run, truth: t } = m;
    const held = run.servers[0]?.stats;
    expect(held?.delayed, m.note).toBeGreaterThan(100); // ≈ 200 in 500 ms
    expect(run.samples.filter((s) => s.outcome !== 'ok')).toEqual([]);
    const { folded, streamed, reference } = analyze(run);
    expect(folded.downtime).toEqual([]);
    expect(streamed.errorBudget.failures).toBe(0);
    expect(streamed.latency).toEqual(reference.latency);
    const p99 = streamed.latency.upgrade?.p99Ms ?? 0;
    // Every request the server held took at least DELAY_MS from its intended start.
    expect(p99, m.note).toBeGreaterThanOrEqual(DELAY_MS);
    // ... and not much more: the longest hold, the load's dispatch lag, and an allowance for an
    // ordinary round trip (half the delay, generous), up to the histogram's precision (0.1 %).
    const lag = Math.max(
      ...run.samples
        .filter((s) => s.startMs >= t.start && s.startMs < t.end)
        .map((s) => s.startMs - s.intendedStartMs),
    );
    const upper = ((held?.delayedMaxMs ?? 0) + lag + DELAY_MS / 2) * 1.001;
    expect(p99, `${m.note}; longest hold ${held?.delayedMaxMs} ms, lag ${lag} ms`).toBeLessThanOrEqual(upper);
    // Requests that started after the window were not held.
    expect(streamed.latency.settle?.p99Ms ?? Number.POSITIVE_INFINITY, m.note).toBeLessThan(DELAY_MS);
    // The timeline's buckets wholly inside the window show the spike too.
    const timeline = streamed.timeline;
    const inside = (timeline?.buckets ?? []).filter(
      (b) => b.t >= t.start && b.t + (timeline?.bucketMs ?? 0) <= t.end,
    );
    expect(inside.length).toBeGreaterThanOrEqual(3);
    for (const b of inside) {
      expect(b.failed).toBe(0);
      expect(b.p99Ms ?? 0, m.note).toBeGreaterThanOrEqual(DELAY_MS);
    }
  });
});

describe('ground truth: the mixed-version window', () => {
  let versionRun: Promise<Measured> | null = null;
  const versionSwitch = (): Promise<Measured> => {
    versionRun ??= experiment([{ mode: 'version', lengthMs: 300, version: '2.0.0' }]).then(([m]) => {
      if (!m) throw new Error('no measurement');
      return m;
    });
    return versionRun;
  };

  it('finds the mixed-version window within one request interval', async () => {
    const m = await versionSwitch();
    const { run, note, truth: t } = m;
    const { samples } = run;
    const v = computeVersions(samples, '1.0.0', '2.0.0');
    const mixed = v.mixedWindow;
    expect(mixed, note).not.toBeNull();
    if (!mixed) return;
    // Each edge is seen by a response: within one request interval of the switch, plus the
    // latency (from the intended start, so including dispatch lag) of the requests around it.
    const latencyAround = (at: number) =>
      Math.max(
        0,
        ...samples
          .filter((x) => Math.abs(x.intendedStartMs - at) <= 3 * INTERVAL_MS)
          .map((x) => x.endMs - x.intendedStartMs),
      );
    const u = run.clockUncertaintyMs;
    expect(mixed.startedAt, note).toBeGreaterThanOrEqual(t.start - u);
    expect(mixed.startedAt - t.start, note).toBeLessThanOrEqual(INTERVAL_MS + latencyAround(t.start) + u);
    expect(mixed.endedAt, note).toBeLessThanOrEqual(t.end + latencyAround(t.end) + u);
    expect(t.end - mixed.endedAt, note).toBeLessThanOrEqual(INTERVAL_MS + latencyAround(t.end) + u);
    expect(v.servedBy['1.0.0']).toBeGreaterThan(0);
    expect(v.servedBy['2.0.0']).toBeGreaterThan(0);
    const last = [...samples].sort((a, b) => a.endMs - b.endMs).slice(-20);
    expect(last.every((s) => s.version === '2.0.0')).toBe(true);
  });

  it('finds it through CellFold, and its timeline buckets, within one bucket', async () => {
    const m = await versionSwitch();
    const { run, note, truth: t } = m;
    const { streamed, reference } = analyze(run);
    expect(streamed.versions).toEqual(reference.versions);
    const mixed = streamed.versions.mixedWindow;
    const bucketMs = streamed.timeline?.bucketMs ?? Number.NaN;
    expect(bucketMs).toBe(100);
    const slack = bucketMs + m.stallMs + run.clockUncertaintyMs;
    expect(Math.abs((mixed?.startedAt ?? 0) - t.start), note).toBeLessThanOrEqual(slack);
    expect(Math.abs((mixed?.endedAt ?? 0) - t.end), note).toBeLessThanOrEqual(slack);
    // Buckets with answers of both versions: one unbroken run from the switch's start to its end;
    // only the old version before it, only the new one after.
    const kinds = (streamed.timeline?.buckets ?? [])
      .filter((b) => b.total > 0)
      .map((b) => {
        const old = (b.byVersion['1.0.0'] ?? 0) > 0;
        const neu = (b.byVersion['2.0.0'] ?? 0) > 0;
        return { t: b.t, kind: old && neu ? 'm' : old ? 'o' : neu ? 'n' : '?' };
      });
    const sequence = kinds.map((k) => k.kind).join('');
    expect(sequence, note).toMatch(/^o+m+n+$/);
    const firstMixed = kinds.find((k) => k.kind === 'm')?.t ?? Number.NaN;
    const lastMixedEnd = (kinds.findLast((k) => k.kind === 'm')?.t ?? Number.NaN) + bucketMs;
    expect(Math.abs(firstMixed - t.start), `${sequence} (${note})`).toBeLessThanOrEqual(slack);
    expect(Math.abs(lastMixedEnd - t.end), `${sequence} (${note})`).toBeLessThanOrEqual(slack);
  });
});
