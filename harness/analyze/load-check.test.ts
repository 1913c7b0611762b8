import { describe, expect, it } from 'vitest';
import type { PhaseRecord } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import type { LoadSummary } from '../load/load-driver.js';
import { type LoadCheckInput, loadCheck, loadCheckAsCheck } from './load-check.js';

const slo: SloConfig = {
  successRatio: 0.999,
  maxDowntimeSeconds: 0,
  minAchievedRateRatio: 0.9,
  maxScheduleLagP99Ms: 100,
};

function phase(name: PhaseRecord['name'], startedAt: number, endedAt: number): PhaseRecord {
  return { name, startedAt, endedAt, status: 'passed' } as PhaseRecord;
}

/** 200 req/s target from t=1000 to t=11000 (10 s): baseline 1–4 s, upgrade 4–9 s, settle 9–11 s. */
function input(requestsByPhase: Record<string, number>, sent: number): LoadCheckInput {
  const load: LoadSummary = {
    startedAt: 1000,
    stoppedAt: 11_000,
    targetRate: 200,
    scheduled: 2000,
    sent,
    dropped: 0,
    scheduleLagP99Ms: 2,
    acknowledgedKeys: [],
  };
  return {
    load,
    slo,
    phases: [
      phase('install', 0, 1000),
      phase('baseline', 1000, 4000),
      phase('upgrade', 4000, 9000),
      phase('settle', 9000, 11_000),
      phase('verify-data', 11_000, 11_500),
    ],
    requestsByPhase: Object.fromEntries(
      Object.entries(requestsByPhase).map(([k, v]) => [k, { requests: v }]),
    ),
    requestsInUpgradeWindow: requestsByPhase.upgrade ?? 0,
  };
}

describe('loadCheck per phase', () => {
  it('passes a generator that held its rate in every phase, and reports each phase', () => {
    const check = loadCheck(input({ baseline: 600, upgrade: 1000, settle: 400 }, 2000));
    expect(check.ok).toBe(true);
    expect(check.byPhase).toEqual({
      baseline: { seconds: 3, requests: 600, achievedRate: 200, judged: true },
      upgrade: { seconds: 5, requests: 1000, achievedRate: 200, judged: true },
      settle: { seconds: 2, requests: 400, achievedRate: 200, judged: true },
    });
  });

  it('is not trustworthy when the upgrade phase alone starved, though the whole run looks fine', () => {
    // 1840 of 2000 sent = 92 % over the run (above 90 %), but 840 of 1000 in the upgrade = 84 %.
    const check = loadCheck({
      ...input({ baseline: 600, upgrade: 840, settle: 400 }, 1840),
      process: { seconds: 10, cpuCores: 0.99, eventLoopUtilization: 0.98 },
    });
    expect(check.ok).toBe(false);
    expect(check.reason).toContain('achieved 168.0 req/s of 200 in the upgrade phase (84% < 90%)');
    expect(check.reason).not.toContain('baseline phase');
    expect(check.reason).toContain('generator process: 0.99 CPU cores, event loop 98% busy');
    expect(loadCheckAsCheck(check, slo).passed).toBe(false);
  });

  it('does not judge a phase too short to hold 100 requests', () => {
    const i = input({ baseline: 600, upgrade: 1000, settle: 400 }, 2000);
    const short = { ...i, phases: [...i.phases, phase('rollback', 10_900, 10_950)] };
    const check = loadCheck({
      ...short,
      requestsByPhase: { ...short.requestsByPhase, rollback: { requests: 1 } },
    });
    expect(check.byPhase?.rollback).toMatchObject({ requests: 1, judged: false });
    expect(check.ok).toBe(true);
  });

  it('names the generator CPU in a passing check too', () => {
    const check = loadCheck({
      ...input({ baseline: 600, upgrade: 1000, settle: 400 }, 2000),
      process: { seconds: 10, cpuCores: 0.12, eventLoopUtilization: 0.08 },
    });
    expect(loadCheckAsCheck(check, slo).message).toBe(
      'load held: 200.0 of 200 req/s, 0 dropped, schedule lag p99 2.0 ms, generator process: 0.12 CPU cores, event loop 8% busy',
    );
  });
});
