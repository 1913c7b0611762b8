/**
 * Property: for random sample streams (outages of every failure class on some or all samplers,
 * interleaved failures, timeouts completing long after later requests, version switches with a
 * mixed window, phases with gaps and repeated hops), the fold gives exactly what the array-based
 * reference gives on the same samples sorted by start.
 */
import { describe, expect, it } from 'vitest';
import type { PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import { foldStream } from '../testing/fold-stream.js';
import {
  type SyntheticOutage,
  type SyntheticStreamOptions,
  seededRandom,
  syntheticSamples,
} from '../testing/synthetic-samples.js';
import type { MeasureContext } from './cell-measures.js';
import { measureFolded } from './measure-folded.js';
import { measureSamples } from './measure-samples.js';
import { analyzeCell, analyzeFolded, type CellJudgeInput, judgeCell } from './verdict.js';

const T0 = Date.UTC(2030, 0, 1, 10, 0, 0) + 0.25;

interface Case {
  stream: SyntheticStreamOptions;
  phases: PhaseRecord[];
  bucketMs: number;
}

/** A random but reproducible cell: phases with small gaps, outages, failures, a version switch. */
function randomCase(seed: number): Case {
  const r = seededRandom(seed * 7919 + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const samplers = ['web:reused', 'web:new', 'api:reused', 'api:new', 'git:reused'].slice(
    0,
    1 + Math.floor(r() * 5),
  );
  const durationMs = 2500 + Math.floor(r() * 4000);
  const timeoutMs = pick([150, 400, 1000]);
  const names: PhaseName[] = ['baseline', 'upgrade'];
  if (r() < 0.3) names.push('upgrade'); // a second hop
  if (r() < 0.85) names.push('settle');
  if (r() < 0.5) names.push('rollback', 'verify-rollback');
  const phases: PhaseRecord[] = [];
  let t = T0 + (r() < 0.2 ? 30 : 0); // sometimes traffic starts before the first phase
  const slice = durationMs / names.length;
  for (const name of names) {
    const len = slice * (0.6 + r() * 0.5);
    phases.push({ name, startedAt: t, endedAt: t + len, status: 'passed' });
    t += len + (r() < 0.5 ? 0 : r() * 3); // gaps between phases, sometimes none
  }
  const outages: SyntheticOutage[] = [];
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const from = T0 + r() * durationMs;
    const len = pick([3, 8, 25, 120, 600, 1500]) * (0.5 + r());
    const outcome = pick(['refused', 'timeout', 'http_5xx', 'reset'] as const);
    const some = r() < 0.5 ? samplers.filter(() => r() < 0.5) : undefined;
    outages.push({ from, to: from + len, outcome, ...(some ? { samplers: some } : {}) });
  }
  const switchAt = T0 + durationMs * (0.3 + r() * 0.3);
  const mixedMs = r() * 800;
  const rollbackAt = phases.find((p) => p.name === 'rollback')?.startedAt ?? Number.POSITIVE_INFINITY;
  const stream: SyntheticStreamOptions = {
    seed,
    samplers,
    ratePerSampler: pick([40, 100, 250]),
    t0: T0,
    durationMs,
    timeoutMs,
    timeoutLagMs: 40,
    outages,
    isolatedFailureRate: pick([0, 0.01, 0.05, 0.2]),
    slowFraction: pick([0, 0.02, 0.2]),
    integerTimes: r() < 0.3,
    version: (s, rand) => {
      if (rand() < 0.01) return undefined;
      if (s >= rollbackAt + 50) return '1';
      if (s < switchAt) return '1';
      if (s < switchAt + mixedMs) return rand() < 0.5 ? '1' : '2';
      return '2';
    },
  };
  return { stream, phases, bucketMs: pick([50, 100, 250]) };
}

function judgeInput(phases: PhaseRecord[], samples: number, successRatio: number): CellJudgeInput {
  const rollback = phases.some((p) => p.name === 'rollback');
  return {
    phases,
    slo: {
      successRatio,
      maxDowntimeSeconds: 0.2,
      minAchievedRateRatio: 0.9,
      maxScheduleLagP99Ms: 100,
      // Every SLO kind, so the per-class, per-sampler and latency checks are compared too.
      classes: { web: { successRatio: 0.99, maxDowntimeSeconds: 0.5 }, api: { successRatio: 0.9 } },
      latency: { p99Ms: 200, p99VsBaseline: 1.5, classes: { api: { p99Ms: 100, p99VsBaseline: 2 } } },
      maxDowntimeSecondsPerSampler: { 'api:new': 0.1 },
    },
    from: '1',
    to: '2',
    upgrade: { ok: phases.some((p) => p.name === 'settle') },
    rollback: rollback
      ? { attempted: true, ok: true, seconds: 0.5 }
      : { attempted: false, ok: null, seconds: null },
    ledger: null,
    load: {
      startedAt: T0,
      stoppedAt: T0 + 3000,
      targetRate: samples / 3,
      scheduled: samples,
      sent: samples,
      dropped: 0,
      scheduleLagP99Ms: 1,
      acknowledgedKeys: [],
    },
  };
}

function run(c: Case) {
  const arrived: Sample[] = [];
  const startedAt = c.phases[0]?.startedAt as number;
  const folded = foldStream(
    syntheticSamples(c.stream),
    c.phases,
    {
      timeoutMs: c.stream.timeoutMs,
      bucketMs: c.bucketMs,
      startedAt,
    },
    (s) => arrived.push(s),
  );
  // The cell runner sorted by start before the array analysis (a stable sort: ties keep arrival order).
  const sorted = [...arrived].sort((a, b) => a.startMs - b.startMs);
  return { folded, arrived, sorted };
}

const SEEDS = Array.from({ length: 60 }, (_v, i) => i + 1);

describe('fold = array reference (property)', () => {
  it.each(SEEDS)('seed %i: measures are equal', (seed) => {
    const c = randomCase(seed);
    const { folded, sorted } = run(c);
    const ctx: MeasureContext = { phases: c.phases, successRatio: 0.99, from: '1', to: '2' };
    const { timeline, ...got } = measureFolded(folded, ctx);
    const want = measureSamples(sorted, ctx);
    expect(folded.lateSamples).toBe(0);
    expect(got).toEqual(want);
    // With fractional times there are no ties, so even the key order of every record agrees.
    if (!c.stream.integerTimes) expect(JSON.stringify(got)).toBe(JSON.stringify(want));
    expect(timeline?.buckets.reduce((n, b) => n + b.total, 0)).toBe(sorted.length);
  });

  it.each(SEEDS.slice(0, 30))('seed %i: verdicts are equal, streamed or from the array', (seed) => {
    const c = randomCase(seed);
    const { folded, sorted, arrived } = run(c);
    const input = judgeInput(c.phases, sorted.length, 0.995);
    const ctx: MeasureContext = { phases: c.phases, successRatio: 0.995, from: '1', to: '2' };
    const { timeline, ...streamed } = analyzeFolded(folded, input);
    expect(streamed).toEqual(judgeCell(measureSamples(sorted, ctx), input));
    // The array wrapper (any order) gives the same, timeline included.
    const { timeline: wrappedTimeline, ...wrapped } = analyzeCell({ ...input, samples: arrived });
    expect(wrapped).toEqual(streamed);
    if (c.bucketMs === 100) expect(wrappedTimeline).toEqual(timeline);
  });

  it('covers what it claims: outages, out-of-order arrival, downtime, mixed windows, late-free', () => {
    let outOfOrder = 0;
    let withDowntime = 0;
    let withMixed = 0;
    let failedVersions = 0;
    for (const seed of SEEDS) {
      const c = randomCase(seed);
      const { folded, arrived } = run(c);
      for (let i = 1; i < arrived.length; i++)
        if ((arrived[i] as Sample).startMs < (arrived[i - 1] as Sample).startMs) outOfOrder++;
      if (folded.downtime.length > 0) withDowntime++;
      const m = measureFolded(folded, { phases: c.phases, successRatio: 0.99, from: '1', to: '2' });
      if (m.versions.mixedWindow) withMixed++;
      if (m.settleVersions.wrong > 0) failedVersions++;
    }
    expect(outOfOrder).toBeGreaterThan(1000);
    expect(withDowntime).toBeGreaterThan(15);
    expect(withMixed).toBeGreaterThan(15);
    expect(failedVersions).toBeGreaterThan(0);
  });
});
