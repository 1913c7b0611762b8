import { describe, expect, it } from 'vitest';
import type { Outcome, PhaseRecord, Sample } from '../common/sample.js';
import { foldStream } from '../testing/fold-stream.js';
import { syntheticSamples } from '../testing/synthetic-samples.js';
import { CellFold } from './fold.js';
import { summarize } from './latency.js';
import { foldedLatencyByClass, measureFolded } from './measure-folded.js';
import { analyzeCell, analyzeFolded, type CellJudgeInput } from './verdict.js';

const T0 = Date.UTC(2030, 0, 1, 10, 0, 0);

function sample(startMs: number, outcome: Outcome = 'ok', extra: Partial<Sample> = {}): Sample {
  return {
    sampler: 'home:reused',
    endpoint: 'home',
    endpointClass: 'web',
    connection: 'reused',
    intendedStartMs: startMs,
    startMs,
    endMs: startMs + 4,
    outcome,
    ...(outcome === 'ok' ? { version: '1' } : {}),
    ...extra,
  };
}

const phases: PhaseRecord[] = [
  { name: 'baseline', startedAt: T0, endedAt: T0 + 1000, status: 'passed' },
  { name: 'upgrade', startedAt: T0 + 1010, endedAt: T0 + 2000, status: 'passed' },
  { name: 'settle', startedAt: T0 + 2000, endedAt: T0 + 3000, status: 'passed' },
];

describe('CellFold', () => {
  it('puts a sample in the last marked phase that started at or before it, and none after endPhase', () => {
    const fold = new CellFold({ timeoutMs: 100 });
    fold.markPhase('baseline', T0);
    fold.add(sample(T0 + 5));
    fold.endPhase(T0 + 1000);
    fold.add(sample(T0 + 1005, 'http_5xx')); // in the gap: no phase
    fold.markPhase('upgrade', T0 + 1010);
    fold.add(sample(T0 + 1500, 'ok', { endpointClass: 'api', sampler: 'api:new' }));
    fold.add(sample(T0 + 1000 - 1)); // arrives late, still counted in baseline
    const folded = fold.finish();
    expect(folded.segments.map((s) => [s.name, s.requests])).toEqual([
      [null, 0],
      ['baseline', 2],
      [null, 1],
      ['upgrade', 1],
    ]);
    const m = measureFolded(folded, { phases, successRatio: 0.99, from: '1', to: '2' });
    expect(m.errorBudget.byPhase).toEqual({
      baseline: { requests: 2, failures: 0 },
      upgrade: { requests: 1, failures: 0 },
    });
    expect(m.total).toBe(4);
    expect(m.byOutcome).toEqual({ ok: 3, http_5xx: 1 });
    expect(folded.segments[3]?.classes.get('api')?.bySampler.get('api:new')).toEqual({
      requests: 1,
      failures: 0,
    });
  });

  it('refuses marks that go back in time and samples after finish; finish is idempotent', () => {
    const fold = new CellFold({ timeoutMs: 100 });
    fold.markPhase('baseline', T0 + 10);
    expect(() => fold.markPhase('upgrade', T0)).toThrow(RangeError);
    const folded = fold.finish();
    expect(fold.finish()).toBe(folded);
    expect(() => fold.add(sample(T0))).toThrow(/after finish/);
    expect(() => fold.endPhase(T0 + 20)).toThrow(/after finish/);
  });

  it('keeps per-phase, per-class histograms that merge to what summarize gives', () => {
    const list = [
      ...syntheticSamples({
        seed: 3,
        samplers: ['web:reused', 'api:new'],
        ratePerSampler: 200,
        t0: T0,
        durationMs: 3000,
        timeoutMs: 300,
        isolatedFailureRate: 0.05,
        slowFraction: 0.2,
      }),
    ];
    const folded = foldStream(list, phases, { timeoutMs: 300 });
    const m = measureFolded(folded, { phases, successRatio: 0.99, from: '1', to: '2' });
    const ok = list.filter((s) => s.outcome === 'ok');
    const inUpgrade = ok.filter((s) => s.startMs >= T0 + 1010 && s.startMs < T0 + 2000);
    expect(m.latency.upgrade).toEqual(summarize(inUpgrade.map((s) => s.endMs - s.intendedStartMs)));
    expect(m.latency.all).toEqual(summarize(ok.map((s) => s.endMs - s.intendedStartMs)));
    const byClass = foldedLatencyByClass(folded.segments, phases);
    const apiInUpgrade = inUpgrade.filter((s) => s.endpointClass === 'api');
    expect(byClass.upgrade?.api).toEqual(summarize(apiInUpgrade.map((s) => s.endMs - s.intendedStartMs)));
    expect(Object.keys(byClass).sort()).toEqual(['all', 'baseline', 'settle', 'upgrade']);
    expect((byClass.all?.web?.count ?? 0) + (byClass.all?.api?.count ?? 0)).toBe(ok.length);
    const upgradeSegment = folded.segments.find((s) => s.name === 'upgrade');
    expect([...(upgradeSegment?.classes.keys() ?? [])].sort()).toEqual(['api', 'web']);
  });
});

describe('timeline', () => {
  const list = [
    ...syntheticSamples({
      seed: 11,
      samplers: ['web:reused', 'web:new', 'api:reused'],
      ratePerSampler: 300,
      t0: T0,
      durationMs: 3000,
      timeoutMs: 250,
      timeoutLagMs: 20,
      outages: [{ from: T0 + 1200, to: T0 + 1450, outcome: 'timeout' }],
      isolatedFailureRate: 0.03,
      slowFraction: 0.1,
      version: (s) => (s < T0 + 1500 ? '1' : '2'),
    }),
  ];

  it('counts every bucket exactly by start and gives per-bucket percentiles within 1 %', () => {
    let maxOpen = 0;
    const folded = foldStream(list, phases, { timeoutMs: 250, bucketMs: 100, startedAt: T0 }, (_s, fold) => {
      maxOpen = Math.max(maxOpen, fold.stats().openBuckets);
    });
    const { timeline } = folded;
    expect(timeline.bucketMs).toBe(100);
    expect(timeline.startedAt).toBe(T0);
    // 3 s of starts, the last few pushed past 3 s by their dispatch delay.
    expect(timeline.buckets).toHaveLength(31);
    for (const [k, b] of timeline.buckets.entries()) {
      expect(b.t).toBe(T0 + k * 100);
      const inside = list.filter((s) => s.startMs >= b.t && s.startMs < b.t + 100);
      const ok = inside.filter((s) => s.outcome === 'ok');
      expect(b.total).toBe(inside.length);
      expect(b.failed).toBe(inside.length - ok.length);
      expect(b.byOutcome.ok ?? 0).toBe(ok.length);
      expect(b.byOutcome.timeout ?? 0).toBe(inside.filter((s) => s.outcome === 'timeout').length);
      expect(b.byVersion['2'] ?? 0).toBe(ok.filter((s) => s.version === '2').length);
      expect(b.byClass?.api?.total).toBe(inside.filter((s) => s.endpointClass === 'api').length);
      if (ok.length === 0) {
        expect(b.p50Ms).toBeNull();
        continue;
      }
      const lat = ok.map((s) => Math.round((s.endMs - s.intendedStartMs) * 1000)).sort((x, y) => x - y);
      const at = (p: number) => (lat[Math.max(1, Math.ceil((p / 100) * lat.length)) - 1] as number) / 1000;
      expect(b.p50Ms).toBeGreaterThanOrEqual(at(50));
      expect(b.p50Ms).toBeLessThanOrEqual(at(50) * 1.01 + 0.001);
      expect(b.p99Ms).toBeGreaterThanOrEqual(at(99));
      expect(b.p99Ms).toBeLessThanOrEqual(at(99) * 1.01 + 0.001);
    }
    // The outage's buckets: every request timed out.
    expect(timeline.buckets[13]).toMatchObject({ failed: timeline.buckets[13]?.total, p50Ms: null });
    // Buckets closed as the watermark passed them: (250 ms timeout + 70 ms slack) / 100 ms, plus the newest.
    expect(maxOpen).toBeLessThanOrEqual(6);
  });

  it('is part of the analysis, with empty buckets where no request started', () => {
    const gap = list.filter((s) => s.startMs < T0 + 500 || s.startMs >= T0 + 800);
    const input: CellJudgeInput = {
      phases,
      slo: { successRatio: 0.9, maxDowntimeSeconds: 1, minAchievedRateRatio: 0.5, maxScheduleLagP99Ms: 100 },
      from: '1',
      to: '2',
      upgrade: { ok: true },
      rollback: { attempted: false, ok: null, seconds: null },
      ledger: null,
      load: {
        startedAt: T0,
        stoppedAt: T0 + 3000,
        targetRate: 900,
        scheduled: 2700,
        sent: 2700,
        dropped: 0,
        scheduleLagP99Ms: 1,
        acknowledgedKeys: [],
      },
    };
    const a = analyzeCell({ ...input, samples: gap });
    expect(a.timeline?.buckets.slice(5, 8).map((b) => b.total)).toEqual([0, 0, 0]);
    expect(a.timeline?.buckets[6]).toEqual({
      t: T0 + 600,
      total: 0,
      failed: 0,
      byOutcome: {},
      byVersion: {},
      p50Ms: null,
      p99Ms: null,
    });
    const streamed = analyzeFolded(foldStream(gap, phases, { timeoutMs: 250, startedAt: T0 }), input);
    expect(streamed).toEqual(a);
  });

  it('notes samples left out of the downtime runs because they arrived too late', () => {
    const fold = new CellFold({ timeoutMs: 10, maxReorderSlackMs: 50 });
    fold.markPhase('baseline', T0);
    for (let t = 0; t < 500; t += 5) fold.add(sample(T0 + t));
    fold.add(sample(T0 + 1, 'timeout', { endMs: T0 + 600 }));
    const folded = fold.finish();
    expect(folded.lateSamples).toBe(1);
    const a = analyzeFolded(folded, {
      phases: [{ name: 'baseline', startedAt: T0, endedAt: T0 + 1000, status: 'passed' }],
      slo: { successRatio: 0.9, maxDowntimeSeconds: 1, minAchievedRateRatio: 0.5, maxScheduleLagP99Ms: 100 },
      from: '1',
      to: '2',
      upgrade: { ok: false },
      rollback: { attempted: false, ok: null, seconds: null },
      ledger: null,
      load: {
        startedAt: T0,
        stoppedAt: T0 + 500,
        targetRate: 200,
        scheduled: 101,
        sent: 101,
        dropped: 0,
        scheduleLagP99Ms: 1,
        acknowledgedKeys: [],
      },
    });
    expect(a.notes).toContain(
      'downtime: 1 samples completed later than their timeout allows and were left out of the downtime runs',
    );
    expect(a.requests.total).toBe(101);
  });
});
