import { describe, expect, it } from 'vitest';
import type { Outcome, PhaseName, PhaseRecord, Sample } from '../common/sample.js';
import { foldSamples } from './fold-samples.js';
import { measureFolded } from './measure-folded.js';
import { measureSamples } from './measure-samples.js';
import { phaseSpan, upgradeWindow, withLastOnly } from './phases.js';
import { analyzeCell, type CellAnalysisInput } from './verdict.js';
import { computeVersions } from './versions.js';

/** A three-hop upgrade 1 → 1.5 → 1.8 → 2: upgrade and settle per hop, as the cell runner records them. */
const T0 = Date.UTC(2030, 0, 1, 10, 0, 0);

function phase(name: PhaseName, start: number, end: number, detail?: string): PhaseRecord {
  return { name, startedAt: T0 + start, endedAt: T0 + end, status: 'passed', ...(detail ? { detail } : {}) };
}

const hops: PhaseRecord[] = [
  phase('baseline', 0, 1000),
  phase('upgrade', 1000, 2000, '1 → 1.5'),
  phase('settle', 2000, 3000),
  phase('upgrade', 3000, 4000, '1.5 → 1.8'),
  phase('settle', 4000, 5000),
  phase('upgrade', 5000, 6000, '1.8 → 2'),
  phase('settle', 6000, 7000),
];

/** The version served at t (ms after T0): each hop switches halfway through its upgrade phase, with some overlap. */
function servedAt(t: number): string {
  if (t < 1500) return '1';
  if (t < 1600) return t % 20 === 0 ? '1' : '1.5';
  if (t < 3500) return '1.5';
  if (t < 5500) return '1.8';
  if (t < 5600) return t % 20 === 0 ? '1.8' : '2';
  return '2';
}

function traffic(
  to: number,
  version: (t: number) => string = servedAt,
  fail?: (t: number) => Outcome | null,
): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < to; t += 10) {
    const outcome = fail?.(t) ?? 'ok';
    const s: Sample = {
      sampler: 'home:reused',
      endpoint: 'home',
      endpointClass: 'web',
      connection: 'reused',
      intendedStartMs: T0 + t,
      startMs: T0 + t,
      endMs: T0 + t + 3,
      outcome,
    };
    if (outcome === 'ok') s.version = version(t);
    out.push(s);
  }
  return out;
}

function input(overrides: Partial<CellAnalysisInput> = {}): CellAnalysisInput {
  return {
    samples: traffic(7000),
    phases: hops,
    slo: { successRatio: 0.99, maxDowntimeSeconds: 0, minAchievedRateRatio: 0.9, maxScheduleLagP99Ms: 100 },
    from: '1',
    to: '2',
    via: ['1.5', '1.8'],
    upgrade: { ok: true },
    rollback: { attempted: false, ok: null, seconds: null },
    ledger: { acknowledged: 10, verified: 10, lost: 0, unverified: 0, lostKeys: [] },
    load: {
      startedAt: T0,
      stoppedAt: T0 + 7000,
      targetRate: 100,
      scheduled: 700,
      sent: 700,
      dropped: 0,
      scheduleLagP99Ms: 1,
      acknowledgedKeys: [],
    },
    ...overrides,
  };
}

describe('phases of a multi-hop upgrade', () => {
  it('spans the upgrade window from the first upgrade start to the last settle end', () => {
    expect(phaseSpan(hops, 'upgrade')).toEqual({ start: T0 + 1000, end: T0 + 6000 });
    expect(upgradeWindow(hops)).toEqual({ start: T0 + 1000, end: T0 + 7000 });
    // A failed second hop: its skipped settle is zero-length, the window ends with that hop's upgrade.
    const failed = [...hops.slice(0, 4), phase('settle', 4000, 4000)];
    expect(upgradeWindow(failed)).toEqual({ start: T0 + 1000, end: T0 + 4000 });
  });

  it('keeps only the last phase of a name, the others in order', () => {
    const kept = withLastOnly(hops, 'settle');
    expect(kept.map((p) => `${p.name}@${p.startedAt - T0}`)).toEqual([
      'baseline@0',
      'upgrade@1000',
      'upgrade@3000',
      'upgrade@5000',
      'settle@6000',
    ]);
    expect(withLastOnly(hops, 'rollback')).toEqual(hops);
  });
});

describe('versions of a multi-hop upgrade', () => {
  it('counts the stops, and the mixed window is the last hop: first `to` to the last older response after it', () => {
    const v = computeVersions(traffic(7000), '1', '2');
    expect(Object.keys(v.servedBy).sort()).toEqual(['1', '1.5', '1.8', '2']);
    expect(v.servedBy['1.5']).toBeGreaterThan(150);
    expect(v.servedBy['1.8']).toBeGreaterThan(150);
    // 5510 is the first '2' (5500 is a '1.8'); 5580 the last '1.8'; ends are 3 ms after starts.
    expect(v.mixedWindow).toEqual({ startedAt: T0 + 5513, endedAt: T0 + 5583, seconds: 0.07 });
  });

  it('judges the serving version on the last settle only, folded or from the array', () => {
    const samples = traffic(7000);
    const ctx = { phases: hops, successRatio: 0.99, from: '1', to: '2' };
    const folded = measureFolded(foldSamples(samples, hops), ctx);
    const fromArray = measureSamples(samples, ctx);
    expect(folded.settleVersions).toEqual({ total: 100, wrong: 0, others: {} });
    expect(fromArray.settleVersions).toEqual(folded.settleVersions);
    expect(fromArray.versions).toEqual(folded.versions);
    expect(folded.errorBudget.byPhase.settle?.requests).toBe(300);
  });

  it('passes a clean three-hop upgrade; the error budget covers every hop', () => {
    const a = analyzeCell(input());
    expect(a.status).toBe('passed');
    expect(a.checks.find((c) => c.name === 'version')).toMatchObject({
      passed: true,
      message: 'settle: 100 of 100 responses from 2',
    });
    expect(a.errorBudget.windowStart).toBe(T0 + 1000);
    expect(a.errorBudget.windowEnd).toBe(T0 + 7000);
    expect(a.errorBudget.requests).toBe(600);
  });

  it('fails the version check when the last settle still serves a stop, and counts failures of an early hop', () => {
    const stuck = analyzeCell(input({ samples: traffic(7000, (t) => (t < 6500 ? servedAt(t) : '1.8')) }));
    expect(stuck.status).toBe('failed');
    expect(stuck.reason).toBe('version');
    expect(stuck.checks.find((c) => c.name === 'version')?.message).toBe(
      'settle: 50 of 100 responses not from 2 (1.8 50)',
    );

    // Two failures in the first hop's settle: inside the window, burning the budget (6 allowed of 600).
    const early = analyzeCell(
      input({ samples: traffic(7000, servedAt, (t) => (t === 2500 ? 'http_5xx' : null)) }),
    );
    expect(early.errorBudget.failures).toBe(1);
    expect(early.errorBudget.byPhase.settle).toEqual({ requests: 300, failures: 1 });
  });

  it('checks each stop: every settle between hops is served by its stop, folded or from the array', () => {
    const clean = analyzeCell(input());
    expect(clean.checks.filter((c) => c.name.startsWith('version-stop-'))).toEqual([
      expect.objectContaining({
        name: 'version-stop-1',
        passed: true,
        message: 'settle after hop 1/3 (stop 1.5): 100 of 100 responses from 1.5',
      }),
      expect.objectContaining({
        name: 'version-stop-2',
        passed: true,
        message: 'settle after hop 2/3 (stop 1.8): 100 of 100 responses from 1.8',
      }),
    ]);
    const m = measureSamples(traffic(7000), {
      phases: hops,
      successRatio: 0.99,
      from: '1',
      to: '2',
      via: ['1.5', '1.8'],
    });
    const f = measureFolded(foldSamples(traffic(7000), hops), {
      phases: hops,
      successRatio: 0.99,
      from: '1',
      to: '2',
      via: ['1.5', '1.8'],
    });
    expect(f.stopVersions).toEqual(m.stopVersions);
  });

  it('fails a path that never served its stops (1 then 2 directly), though it ended on 2', () => {
    const skipped = analyzeCell(input({ samples: traffic(7000, (t) => (t < 1500 ? '1' : '2')) }));
    expect(skipped.status).toBe('failed');
    expect(skipped.reason).toBe('version');
    expect(skipped.checks.find((c) => c.name === 'version')?.passed).toBe(true);
    expect(skipped.checks.find((c) => c.name === 'version-stop-1')?.message).toBe(
      'settle after hop 1/3 (stop 1.5): 100 of 100 responses not from 1.5 (2 100)',
    );
    expect(skipped.checks.find((c) => c.name === 'version-stop-2')?.passed).toBe(false);
  });

  it('does not judge a stop whose hop never settled (the upgrade failed there)', () => {
    const failedAt2 = [...hops.slice(0, 4), { ...phase('settle', 4000, 4000), status: 'skipped' as const }];
    const a = analyzeCell(
      input({ phases: failedAt2, upgrade: { ok: false, error: 'hop 2/3 1.5 → 1.8: never ready' } }),
    );
    expect(a.checks.filter((c) => c.name.startsWith('version-stop-')).map((c) => c.name)).toEqual([
      'version-stop-1',
    ]);
    expect(a.reason).toBe('upgrade-failed');
  });
});
