import { describe, expect, it } from 'vitest';
import type { Outcome, PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import type { LoadSummary } from '../load/load-driver.js';
import { analyzeCell, type CellAnalysisInput } from './verdict.js';

function phase(name: PhaseName, startedAt: number, endedAt: number): PhaseRecord {
  return { name, startedAt, endedAt, status: 'passed' };
}

const T0 = Date.UTC(2030, 0, 1, 10, 4, 0); // 10:04:00.000 UTC

/** One sampler, a request every 10 ms over [from, to); version by time; `fail` picks failures. */
function traffic(
  from: number,
  to: number,
  opts: {
    sampler?: string;
    stepMs?: number;
    version?: (t: number) => string;
    fail?: (t: number, i: number) => Outcome | null;
  } = {},
): Sample[] {
  const sampler = opts.sampler ?? 'home:reused';
  const out: Sample[] = [];
  for (let t = from, i = 0; t < to; t += opts.stepMs ?? 10, i++) {
    const outcome = opts.fail?.(t, i) ?? 'ok';
    const s: Sample = {
      sampler,
      endpoint: 'home',
      endpointClass: 'web',
      connection: sampler.endsWith(':new') ? 'new' : 'reused',
      intendedStartMs: T0 + t,
      startMs: T0 + t,
      endMs: T0 + t + 3,
      outcome,
    };
    if (outcome === 'ok') s.version = (opts.version ?? ((x) => (x < 1500 ? '1' : '2')))(t);
    out.push(s);
  }
  return out;
}

const phases = [
  phase('baseline', T0, T0 + 1000),
  phase('upgrade', T0 + 1000, T0 + 2000),
  phase('settle', T0 + 2000, T0 + 3000),
];

function load(overrides: Partial<LoadSummary> = {}): LoadSummary {
  return {
    startedAt: T0,
    stoppedAt: T0 + 3000,
    targetRate: 100,
    scheduled: 300,
    sent: 300,
    dropped: 0,
    scheduleLagP99Ms: 1.5,
    acknowledgedKeys: [],
    ...overrides,
  };
}

function input(overrides: Partial<CellAnalysisInput> = {}): CellAnalysisInput {
  return {
    samples: traffic(0, 3000),
    phases,
    slo: { successRatio: 0.999, maxDowntimeSeconds: 0, minAchievedRateRatio: 0.95, maxScheduleLagP99Ms: 100 },
    from: '1',
    to: '2',
    upgrade: { ok: true },
    rollback: { attempted: false, ok: null, seconds: null },
    ledger: { acknowledged: 10, verified: 10, lost: 0, unverified: 0, lostKeys: [] },
    load: load(),
    ...overrides,
  };
}

describe('analyzeCell', () => {
  it('passes a clean upgrade and reports what it measured', () => {
    const a = analyzeCell(input());
    expect(a.status).toBe('passed');
    expect(a.reason).toBeUndefined();
    expect(a.matchedExpectation).toBe(true);
    expect(a.checks.map((c) => [c.name, c.passed])).toEqual([
      ['upgrade', true],
      ['downtime', true],
      ['error-budget', true],
      ['version', true],
      ['data-integrity', true],
      ['load', true],
    ]);
    expect(a.requests).toEqual({ total: 300, failed: 0, dropped: 0, byOutcome: { ok: 300 } });
    expect(a.versions.servedBy).toEqual({ '1': 150, '2': 150 });
    expect(a.load).toMatchObject({ ok: true, achievedRate: 100, targetRate: 100 });
    expect(a.latency.all?.count).toBe(300);
    expect(a.rollback).toEqual({ attempted: false, succeeded: null, seconds: null });
    expect(a.errorBudget.requests).toBe(200);
  });

  it('does not charge the product with failures measured through a traffic path that itself failed', () => {
    const problem =
      'port-forward: 3 connection(s) reset because the API server failed the tunnel, not the product';
    const samples = traffic(0, 3000, { fail: (t) => (t >= 1200 && t < 1232 ? 'refused' : null) });
    // Downtime and budget seen through a failing port-forward: inconclusive, saying why.
    const doubtful = analyzeCell(input({ samples, trafficPathProblem: problem }));
    expect(doubtful.status).toBe('inconclusive');
    expect(doubtful.reason).toBe(problem);
    // Nothing failed: it still cannot pass.
    expect(analyzeCell(input({ trafficPathProblem: problem })).status).toBe('inconclusive');
    // A product that never got there failed, whatever the path did.
    const stuck = analyzeCell(
      input({ samples, trafficPathProblem: problem, upgrade: { ok: false, error: 'never ready' } }),
    );
    expect(stuck.status).toBe('failed');
    expect(stuck.reason).toMatch(/^upgrade-failed/);
  });

  it('fails on downtime and names the sampler and the interval', () => {
    const samples = traffic(0, 3000, { fail: (t) => (t >= 1200 && t < 1232 ? 'refused' : null) });
    const a = analyzeCell(input({ samples }));
    expect(a.status).toBe('failed');
    // every failed category, in check order
    expect(a.reason).toBe('downtime, error-budget');
    expect(a.downtimeSeconds).toBeCloseTo(0.04, 9);
    const check = a.checks.find((c) => c.name === 'downtime');
    expect(check).toMatchObject({ passed: false, value: a.downtimeSeconds, limit: 0 });
    expect(check?.message).toBe(
      'downtime 0.040 s > 0 s allowed (home:reused sampler, 10:04:01.200–10:04:01.240)',
    );
  });

  it('does not double count one outage seen by two samplers', () => {
    const fail = (t: number) => (t >= 1200 && t < 1300 ? ('refused' as const) : null);
    const samples = [...traffic(0, 3000, { fail }), ...traffic(0, 3000, { sampler: 'home:new', fail })];
    const a = analyzeCell(input({ samples, load: load({ targetRate: 200, scheduled: 600, sent: 600 }) }));
    expect(a.downtime).toHaveLength(2);
    expect(a.downtimeSeconds).toBeCloseTo(0.1, 9);
  });

  it('fails on the error budget with interleaved failures and says when and what', () => {
    // 2000 requests in the window (upgrade + settle), every 80th fails: 25 failures, 2 allowed.
    const samples = [
      ...traffic(0, 1000),
      ...traffic(1000, 3000, { stepMs: 1, fail: (_t, i) => (i % 80 === 0 ? 'http_5xx' : null) }),
    ];
    const a = analyzeCell(input({ samples, load: load({ sent: 2100, scheduled: 2100, targetRate: 700 }) }));
    expect(a.downtimeSeconds).toBe(0);
    expect(a.errorBudget).toMatchObject({ requests: 2000, failures: 25 });
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('error-budget');
    const check = a.checks.find((c) => c.name === 'error-budget');
    expect(check?.value).toBeCloseTo(12.5, 9);
    expect(check?.message).toBe(
      'error budget 1250% consumed: 25 failures (http_5xx 25) between 10:04:01.000 and 10:04:02.920 UTC in the upgrade window; 2.0 allowed at 99.9% of 2000 requests',
    );
  });

  it('fails the version check when the old version still answers in settle', () => {
    const a = analyzeCell(input({ samples: traffic(0, 3000, { version: (t) => (t < 2500 ? '1' : '2') }) }));
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('version');
    expect(a.checks.find((c) => c.name === 'version')?.message).toBe(
      'settle: 50 of 100 responses not from 2 (1 50)',
    );
  });

  it('fails as upgrade-failed after a failed upgrade and does not invent a version check', () => {
    const a = analyzeCell(
      input({
        phases: [
          phase('baseline', T0, T0 + 1000),
          { ...phase('upgrade', T0 + 1000, T0 + 1500), status: 'failed' },
        ],
        samples: traffic(0, 1500, { version: () => '1' }),
        upgrade: { ok: false, error: 'rollout never became ready' },
        ledger: null,
        load: load({ stoppedAt: T0 + 1500, scheduled: 150, sent: 150 }),
      }),
    );
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('upgrade-failed');
    expect(a.checks.find((c) => c.name === 'upgrade')?.message).toBe(
      'upgrade 1 → 2 failed: rollout never became ready',
    );
    expect(a.checks.some((c) => c.name === 'version')).toBe(false);
    expect(a.notes).toContain('no version check: the upgrade did not complete');
    expect(a.matchedExpectation).toBe(false);
    expect(
      analyzeCell({
        ...input({ upgrade: { ok: false } }),
        expected: { status: 'failed', reason: 'upgrade-failed' },
      }).matchedExpectation,
    ).toBe(true);
  });

  it('is inconclusive when the generator fell short of the rate and nothing failed', () => {
    const a = analyzeCell(input({ load: load({ sent: 200 }) }));
    expect(a.status).toBe('inconclusive');
    expect(a.reason).toMatch(/achieved 66\.7 req\/s of 100 req\/s target/);
    expect(a.load.ok).toBe(false);
  });

  it('fails on measured failures even when the generator fell short (it only keeps a cell from passing)', () => {
    const samples = traffic(0, 3000, { fail: (t) => (t >= 1200 && t < 1300 ? 'refused' : null) });
    const a = analyzeCell(input({ samples, load: load({ sent: 200 }) }));
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('downtime, error-budget');
    expect(a.load.ok).toBe(false);
  });

  it('is inconclusive when requests left far behind their schedule', () => {
    const a = analyzeCell(input({ load: load({ scheduleLagP99Ms: 250 }) }));
    expect(a.status).toBe('inconclusive');
    expect(a.reason).toMatch(/250\.0 ms late at p99 \(max 100 ms\)/);
  });

  it('is inconclusive when too many requests were dropped', () => {
    const a = analyzeCell(input({ load: load({ dropped: 16 }) }));
    expect(a.status).toBe('inconclusive');
    expect(a.reason).toMatch(/dropped 16 of 300/);
    expect(analyzeCell(input({ load: load({ dropped: 15 }) })).status).toBe('passed');
  });

  it('is inconclusive when nothing was measured in the upgrade window', () => {
    const a = analyzeCell(input({ samples: traffic(0, 1000) }));
    expect(a.status).toBe('inconclusive');
    expect(a.reason).toMatch(/no requests were measured in the upgrade window/);
  });

  it('judges a rollback by its result and the versions in verify-rollback', () => {
    const withRollback = [
      ...phases,
      phase('rollback', T0 + 3000, T0 + 3500),
      phase('verify-rollback', T0 + 3500, T0 + 4000),
    ];
    const version = (t: number) => (t < 1500 || t >= 3200 ? '1' : '2');
    const base = input({
      phases: withRollback,
      samples: traffic(0, 4000, { version }),
      load: load({ stoppedAt: T0 + 4000, scheduled: 400, sent: 400 }),
    });
    const ok = analyzeCell({ ...base, rollback: { attempted: true, ok: true, seconds: 0.5 } });
    expect(ok.status).toBe('passed');
    expect(ok.rollback).toEqual({ attempted: true, succeeded: true, seconds: 0.5, downtimeSeconds: 0 });
    expect(ok.versions.mixedWindow).toBeNull();

    const failed = analyzeCell({
      ...base,
      rollback: { attempted: true, ok: false, seconds: 2, error: 'helm rollback failed' },
    });
    expect(failed.status).toBe('failed');
    expect(failed.reason).toBe('rollback');
    expect(failed.rollback).toMatchObject({
      succeeded: false,
      reason: 'rollback to 1 failed: helm rollback failed',
    });

    const stillNew = analyzeCell({
      ...base,
      samples: traffic(0, 4000, { version: (t) => (t < 1500 || t >= 3800 ? '1' : '2') }),
      rollback: { attempted: true, ok: true, seconds: 0.5 },
    });
    expect(stillNew.reason).toBe('rollback');
  });

  it('fails on lost writes (category data-loss)', () => {
    const a = analyzeCell(
      input({ ledger: { acknowledged: 10, verified: 8, lost: 2, unverified: 0, lostKeys: ['k3', 'k9'] } }),
    );
    expect(a.status).toBe('failed');
    expect(a.reason).toBe('data-loss');
    expect(a.checks.find((c) => c.category === 'data-loss')?.message).toBe(
      '2 of 10 acknowledged writes lost (k3, k9), 0 could not be read back',
    );
  });

  it('reports errors as errored, interrupted or timedout, with an infrastructure check for infra errors', () => {
    const early = {
      phases: [phase('provision', T0, T0 + 10)],
      samples: [],
      ledger: null,
      upgrade: { ok: false },
      load: load({ scheduled: 0, sent: 0, stoppedAt: T0 }),
    };
    const infra = analyzeCell(
      input({ ...early, error: { phase: 'provision', message: 'kind create failed', kind: 'infra' } }),
    );
    expect(infra.status).toBe('errored');
    expect(infra.reason).toBe('provision: kind create failed');
    expect(infra.checks.map((c) => c.name)).toEqual(['infrastructure']);
    expect(infra.matchedExpectation).toBe(false);
    const expectedInfra = analyzeCell(
      input({
        ...early,
        error: { phase: 'provision', message: 'x', kind: 'infra' },
        expected: { status: 'errored', reason: 'infrastructure' },
      }),
    );
    expect(expectedInfra.matchedExpectation).toBe(true);
    expect(
      analyzeCell(input({ error: { phase: 'upgrade', message: 'Ctrl-C', kind: 'interrupted' } })).status,
    ).toBe('interrupted');
    expect(
      analyzeCell(input({ error: { phase: 'upgrade', message: 'deadline', kind: 'timedout' } })).status,
    ).toBe('timedout');
  });

  it('matches expectations by status and, if named, a failed check of that category', () => {
    const samples = traffic(0, 3000, { fail: (t) => (t >= 1200 && t < 1300 ? 'refused' : null) });
    expect(analyzeCell(input({ samples, expected: { status: 'failed' } })).matchedExpectation).toBe(true);
    // The downtime also burns the error budget: both categories failed, either reason matches.
    expect(
      analyzeCell(input({ samples, expected: { status: 'failed', reason: 'error-budget' } }))
        .matchedExpectation,
    ).toBe(true);
    expect(
      analyzeCell(input({ samples, expected: { status: 'failed', reason: 'data-loss' } })).matchedExpectation,
    ).toBe(false);
    expect(analyzeCell(input({ samples, expected: { status: 'passed' } })).matchedExpectation).toBe(false);
    expect(analyzeCell(input({ expected: { status: 'failed' } })).matchedExpectation).toBe(false);
  });

  it('judges downtime in the upgrade window and reports a rollback outage with the rollback', () => {
    const withRollback = [
      ...phases,
      phase('rollback', T0 + 3000, T0 + 3500),
      phase('verify-rollback', T0 + 3500, T0 + 4000),
    ];
    // 50 ms out during the upgrade, 200 ms out during the rollback
    const fail = (t: number): Outcome | null =>
      (t >= 1400 && t < 1450) || (t >= 3100 && t < 3300) ? 'refused' : null;
    const a = analyzeCell(
      input({
        phases: withRollback,
        samples: traffic(0, 4000, { fail, version: (t) => (t < 1500 || t >= 3200 ? '1' : '2') }),
        load: load({ stoppedAt: T0 + 4000, scheduled: 400, sent: 400 }),
        rollback: { attempted: true, ok: true, seconds: 0.5 },
        slo: {
          successRatio: 0.5,
          maxDowntimeSeconds: 0.1,
          minAchievedRateRatio: 0.9,
          maxScheduleLagP99Ms: 100,
        },
      }),
    );
    expect(a.downtimeSeconds).toBeCloseTo(0.05, 9);
    expect(a.checks.find((c) => c.name === 'downtime')?.passed).toBe(true);
    expect(a.rollback.downtimeSeconds).toBeCloseTo(0.2, 9);
    expect(a.downtime.map((i) => i.phase)).toEqual(['upgrade', 'rollback']);
  });

  it('puts the expected failure category first in the reason', () => {
    const samples = traffic(0, 3000, { fail: (t) => (t >= 1200 && t < 1240 ? 'http_5xx' : null) });
    const a = analyzeCell(input({ samples, expected: { status: 'failed', reason: 'error-budget' } }));
    expect(a.reason).toBe('error-budget, downtime');
    expect(a.matchedExpectation).toBe(true);
  });

  it('does not let an expected availability failure hide a failed rollback or lost data', () => {
    const failedUpgrade = { upgrade: { ok: false, error: 'replica never ready' } };
    const expected = { status: 'failed' as const, reason: 'upgrade-failed' as const };
    const withRollback = [
      ...phases,
      phase('rollback', T0 + 3000, T0 + 3500),
      phase('verify-rollback', T0 + 3500, T0 + 4000),
    ];
    const base = input({
      ...failedUpgrade,
      expected,
      phases: withRollback,
      samples: traffic(0, 4000, { version: () => '1' }),
      load: load({ stoppedAt: T0 + 4000, scheduled: 400, sent: 400 }),
    });
    const good = analyzeCell({ ...base, rollback: { attempted: true, ok: true, seconds: 0.2 } });
    expect(good.matchedExpectation).toBe(true);
    const badRollback = analyzeCell({
      ...base,
      rollback: { attempted: true, ok: false, seconds: 2, error: 'x' },
    });
    expect(badRollback.status).toBe('failed');
    expect(badRollback.matchedExpectation).toBe(false);
    const lost = analyzeCell({
      ...base,
      rollback: { attempted: true, ok: true, seconds: 0.2 },
      ledger: { acknowledged: 10, verified: 7, lost: 3, unverified: 0, lostKeys: ['a', 'b', 'c'] },
    });
    expect(lost.matchedExpectation).toBe(false);
  });

  it('does not judge an upgrade that was interrupted', () => {
    const a = analyzeCell(
      input({
        upgrade: { ok: false, error: 'not attempted' },
        error: { phase: 'upgrade', message: 'interrupted', kind: 'interrupted' },
      }),
    );
    expect(a.status).toBe('interrupted');
    expect(a.checks.find((c) => c.name === 'upgrade')).toBeUndefined();
  });
});
