import { describe, expect, it } from 'vitest';
import type { Check } from '../common/run-record.js';
import type { Outcome, PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import { withBurnRates } from './slo-checks.js';
import { analyzeCell, type CellAnalysisInput, matches } from './verdict.js';

const T0 = Date.UTC(2030, 0, 1, 10, 4, 0);

function phase(name: PhaseName, startedAt: number, endedAt: number): PhaseRecord {
  return { name, startedAt: T0 + startedAt, endedAt: T0 + endedAt, status: 'passed' };
}

const PHASES = [phase('baseline', 0, 1000), phase('upgrade', 1000, 2000), phase('settle', 2000, 3000)];

/** A request every 10 ms over 0–3000 ms for one sampler (`<endpoint>:<connection>`) of a class. */
function traffic(
  sampler: string,
  cls: string,
  opts: { latency?: (t: number) => number; fail?: (t: number) => Outcome | null } = {},
): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < 3000; t += 10) {
    const outcome = opts.fail?.(t) ?? 'ok';
    const s: Sample = {
      sampler,
      endpoint: sampler.split(':')[0] as string,
      endpointClass: cls,
      connection: sampler.endsWith(':new') ? 'new' : 'reused',
      intendedStartMs: T0 + t,
      startMs: T0 + t,
      endMs: T0 + t + (opts.latency?.(t) ?? 10),
      outcome,
    };
    if (outcome === 'ok') s.version = t < 1500 ? '1' : '2';
    out.push(s);
  }
  return out;
}

const BASE_SLO: SloConfig = {
  successRatio: 0.9,
  maxDowntimeSeconds: 0,
  minAchievedRateRatio: 0.5,
  maxScheduleLagP99Ms: 100,
};

function input(samples: Sample[], slo: Partial<SloConfig>): CellAnalysisInput {
  return {
    samples,
    phases: PHASES,
    slo: { ...BASE_SLO, ...slo },
    from: '1',
    to: '2',
    upgrade: { ok: true },
    rollback: { attempted: false, ok: null, seconds: null },
    ledger: null,
    load: {
      startedAt: T0,
      stoppedAt: T0 + 3000,
      targetRate: samples.length / 3,
      scheduled: samples.length,
      sent: samples.length,
      dropped: 0,
      scheduleLagP99Ms: 1,
      acknowledgedKeys: [],
    },
  };
}

function check(checks: readonly Check[], name: string): Check {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}: ${checks.map((x) => x.name).join(', ')}`);
  return c;
}

/** Isolated failures (never two in a row) of `cls` at every 20th request in the upgrade phase. */
const sparse = (t: number): Outcome | null => (t >= 1000 && t < 2000 && t % 200 === 0 ? 'http_5xx' : null);

describe('per-class error budget', () => {
  const samples = [...traffic('home:reused', 'web'), ...traffic('api:reused', 'api', { fail: sparse })];

  it('passes a class within its budget, fails one over it, with messages like the overall one', () => {
    const a = analyzeCell(
      input(samples, { classes: { web: { successRatio: 0.999 }, api: { successRatio: 0.99 } } }),
    );
    // api: 5 failures of 200 requests in the upgrade window (upgrade + settle); 2 allowed at 99%.
    const api = check(a.checks, 'error-budget:api');
    expect(api.value).toBeCloseTo(2.5, 9);
    expect(api).toEqual({
      name: 'error-budget:api',
      category: 'error-budget',
      passed: false,
      value: api.value,
      limit: 1,
      message:
        'class api: error budget 250% consumed: 5 failures in the upgrade window; 2.0 allowed at 99% of 200 requests',
    });
    expect(check(a.checks, 'error-budget:web')).toMatchObject({
      passed: true,
      value: 0,
      message: 'class web: error budget 0% consumed: no failures; 0.2 allowed at 99.9% of 200 requests',
    });
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('error-budget');
    // The overall budget (90%) still holds.
    expect(check(a.checks, 'error-budget').passed).toBe(true);
  });

  it('passes a generous class budget and says when a class had no requests', () => {
    const a = analyzeCell(
      input(samples, { classes: { api: { successRatio: 0.95 }, git: { successRatio: 0.9 } } }),
    );
    expect(check(a.checks, 'error-budget:api').passed).toBe(true);
    expect(check(a.checks, 'error-budget:api').value).toBeCloseTo(0.5, 9);
    expect(check(a.checks, 'error-budget:git')).toMatchObject({
      passed: true,
      message: 'class git: error budget: no requests in the upgrade window',
    });
    expect(a.status).toBe('passed');
  });
});

describe('downtime per sampler and per class', () => {
  // home:new is down 1200–1300 ms (100 ms); home:reused 1500–1530 (30 ms); api:reused never.
  const samples = [
    ...traffic('home:new', 'web', { fail: (t) => (t >= 1200 && t < 1300 ? 'refused' : null) }),
    ...traffic('home:reused', 'web', { fail: (t) => (t >= 1500 && t < 1530 ? 'reset' : null) }),
    ...traffic('api:reused', 'api'),
  ];

  it('without per-sampler limits the cell limit judges the worst sampler, as before', () => {
    const a = analyzeCell(input(samples, {}));
    expect(a.checks.filter((c) => c.category === 'downtime').map((c) => c.name)).toEqual(['downtime']);
    expect(check(a.checks, 'downtime')).toMatchObject({ passed: false, value: 0.1 });
  });

  it('a sampler with its own limit is judged against it, the others against the cell limit', () => {
    const a = analyzeCell(
      input(samples, { maxDowntimeSeconds: 0.05, maxDowntimeSecondsPerSampler: { 'home:new': 0.5 } }),
    );
    expect(check(a.checks, 'downtime:home:new')).toEqual({
      name: 'downtime:home:new',
      category: 'downtime',
      passed: true,
      value: 0.1,
      limit: 0.5,
      message: 'sampler home:new: downtime 0.100 s ≤ 0.5 s allowed',
    });
    // The cell check now sees only home:reused's 30 ms.
    expect(check(a.checks, 'downtime')).toMatchObject({ passed: true, value: 0.03 });
    expect(a.status).toBe('passed');
    // What the record reports as the cell's downtime is still the worst sampler.
    expect(a.downtimeSeconds).toBeCloseTo(0.1, 9);
  });

  it('fails a sampler over its own limit and names it', () => {
    const a = analyzeCell(
      input(samples, { maxDowntimeSeconds: 1, maxDowntimeSecondsPerSampler: { 'home:new': 0.05 } }),
    );
    expect(check(a.checks, 'downtime:home:new')).toMatchObject({
      passed: false,
      message:
        'sampler home:new: downtime 0.100 s > 0.05 s allowed (home:new sampler, 10:04:01.200–10:04:01.300)',
    });
    expect(a.reason).toBe('downtime');
  });

  it('a class limit covers its samplers; a sampler limit beats it', () => {
    const a = analyzeCell(
      input(samples, {
        classes: { web: { maxDowntimeSeconds: 0.02 } },
        maxDowntimeSecondsPerSampler: { 'home:new': 0.2 },
      }),
    );
    expect(check(a.checks, 'downtime:web')).toMatchObject({
      passed: false,
      value: 0.03,
      limit: 0.02,
      message:
        'class web: downtime 0.030 s > 0.02 s allowed (home:reused sampler, 10:04:01.500–10:04:01.530)',
    });
    expect(check(a.checks, 'downtime:home:new').passed).toBe(true);
    expect(check(a.checks, 'downtime')).toMatchObject({ passed: true, value: 0 });
  });
});

describe('latency SLO', () => {
  // web: 10 ms in baseline, 40 ms in upgrade; api: 10 ms throughout.
  const slowUpgrade = (t: number) => (t >= 1000 && t < 2000 ? 40 : 10);
  const samples = [
    ...traffic('home:reused', 'web', { latency: slowUpgrade }),
    ...traffic('api:reused', 'api'),
  ];

  it('fails the upgrade p99 against the baseline and an absolute limit, with readable messages', () => {
    const a = analyzeCell(input(samples, { latency: { p99Ms: 30, p99VsBaseline: 2 } }));
    const rel = check(a.checks, 'latency-vs-baseline');
    expect(rel).toMatchObject({ category: 'latency', passed: false });
    expect(rel.value).toBeCloseTo(40, 0);
    expect(rel.limit).toBeCloseTo(20, 0);
    expect(rel.message).toBe('latency p99 40 ms during upgrade > 2.0 × baseline p99 10 ms (20 ms allowed)');
    expect(check(a.checks, 'latency-p99')).toMatchObject({
      passed: false,
      limit: 30,
      message: 'latency p99 40 ms during upgrade > 30 ms allowed',
    });
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('latency');
  });

  it('passes within the limits', () => {
    const a = analyzeCell(input(samples, { latency: { p99Ms: 50, p99VsBaseline: 4.5 } }));
    expect(check(a.checks, 'latency-p99').message).toBe('latency p99 40 ms during upgrade ≤ 50 ms allowed');
    expect(check(a.checks, 'latency-vs-baseline').message).toBe(
      'latency p99 40 ms during upgrade ≤ 4.5 × baseline p99 10 ms (45 ms allowed)',
    );
    expect(a.status).toBe('passed');
  });

  it('judges each class by its own p99s', () => {
    const a = analyzeCell(
      input(samples, { latency: { classes: { api: { p99VsBaseline: 1.5 }, web: { p99Ms: 35 } } } }),
    );
    expect(check(a.checks, 'latency-vs-baseline:api')).toMatchObject({
      passed: true,
      message: 'class api: latency p99 10 ms during upgrade ≤ 1.5 × baseline p99 10 ms (15 ms allowed)',
    });
    expect(check(a.checks, 'latency-p99:web')).toMatchObject({
      passed: false,
      message: 'class web: latency p99 40 ms during upgrade > 35 ms allowed',
    });
    expect(a.checks.some((c) => c.name === 'latency-p99')).toBe(false);
  });

  it('notes instead of judging when a class has no baseline or no traffic', () => {
    const upgradeOnly = traffic('git:reused', 'git').filter((s) => s.startMs >= T0 + 1000);
    const a = analyzeCell(
      input([...samples, ...upgradeOnly], {
        latency: { classes: { git: { p99VsBaseline: 2 }, ssh: { p99Ms: 10 } } },
      }),
    );
    expect(a.checks.filter((c) => c.category === 'latency')).toEqual([]);
    expect(a.notes).toContain(
      'no latency-vs-baseline:git check: no successful responses of class git during baseline',
    );
    expect(a.notes).toContain(
      'no latency-p99:ssh check: no successful responses of class ssh during upgrade',
    );
  });

  it('is an availability finding an expected failure explains', () => {
    const checks: Check[] = [
      { name: 'error-budget', category: 'error-budget', passed: false, value: 2, limit: 1, message: '' },
      { name: 'latency-p99', category: 'latency', passed: false, value: 40, limit: 30, message: '' },
    ];
    expect(matches({ status: 'failed', reason: 'error-budget' }, 'failed', checks)).toBe(true);
    expect(matches({ status: 'failed', reason: 'latency' }, 'failed', checks)).toBe(true);
    expect(matches({ status: 'failed', reason: 'data-loss' }, 'failed', checks)).toBe(false);
  });
});

describe('burn rate per bucket', () => {
  it('is the bucket failure ratio over the allowed one, on the analyzed timeline', () => {
    // In bucket 1200–1300: 10 requests, 5 failures (every other one, so no downtime).
    const fail = (t: number): Outcome | null => (t >= 1200 && t < 1300 && t % 20 === 0 ? 'http_5xx' : null);
    const a = analyzeCell(input(traffic('home:reused', 'web', { fail }), { successRatio: 0.9 }));
    const bucket = a.timeline?.buckets.find((b) => b.t === T0 + 1200);
    expect(bucket).toMatchObject({ total: 10, failed: 5 });
    expect(bucket?.burnRate).toBeCloseTo(5, 9);
    expect(a.timeline?.buckets.find((b) => b.t === T0 + 1300)?.burnRate).toBe(0);
  });

  it('leaves empty buckets without one and caps a 100% target', () => {
    const t = withBurnRates(
      {
        bucketMs: 100,
        startedAt: 0,
        buckets: [
          { t: 0, total: 0, failed: 0, byOutcome: {}, byVersion: {}, p50Ms: null, p99Ms: null },
          { t: 100, total: 4, failed: 1, byOutcome: {}, byVersion: {}, p50Ms: null, p99Ms: null },
        ],
      },
      1,
    );
    expect(t.buckets[0]?.burnRate).toBeUndefined();
    expect(t.buckets[1]?.burnRate).toBe(1e9);
  });
});
