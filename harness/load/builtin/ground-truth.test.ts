/**
 * Ground truth: the builtin driver against a server with scripted outages, analyzed by the pure
 * functions of analyze/. The server records when each outage really began and ended; the analysis
 * must find the same, per sampler, within a few request intervals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { computeDowntime, downtimeSeconds } from '../../analyze/downtime.js';
import { computeErrorBudget } from '../../analyze/error-budget.js';
import { computeVersions } from '../../analyze/versions.js';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { silentLogger } from '../../common/logger.js';
import type { PhaseRecord, Sample } from '../../common/sample.js';
import { ScriptedServer, type ScriptWindow } from '../../testing/scripted-server.js';
import type { LoadProfile } from '../load-driver.js';
import { BuiltinLoadDriver } from './builtin-driver.js';

const RATE = 200;
const TOLERANCE_MS = 20;

const ctx: RunContext = {
  runId: 'gt',
  cellId: 'cell',
  signal: new AbortController().signal,
  clock: systemClock,
  logger: silentLogger(),
  artifactDir: '/nonexistent',
  event: () => undefined,
};

const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** Runs both samplers at RATE for `durationMs` with the script armed at the load's start. */
async function drive(script: ScriptWindow[], durationMs: number, overrides: Partial<LoadProfile>) {
  const server = await ScriptedServer.start({ script });
  servers.push(server);
  const load = await new BuiltinLoadDriver().start(
    { baseUrls: [server.url] },
    {
      rate: RATE,
      connections: ['reused', 'new'],
      timeoutMs: 1000,
      maxInFlight: 500,
      endpoints: [{ name: 'home', class: 'web', method: 'GET', path: '/', weight: 1, expectStatus: [200] }],
      versionProbe: { header: 'x-app-version' },
      maxDurationMs: durationMs + 5000,
      ...overrides,
    },
    ctx,
  );
  const t0 = systemClock.now();
  server.run(t0);
  const samples: Sample[] = [];
  const reading = (async () => {
    for await (const s of load.samples()) samples.push(s);
  })();
  await new Promise((r) => setTimeout(r, durationMs));
  const summary = await load.stop();
  await reading;
  await server.scriptDone(1000);
  return { server, samples, summary, t0 };
}

/**
 * The worst delay of a request around the script's windows: dispatch lag plus response time of
 * quick answers (timeouts excluded). The server shares this process's event loop, so a stalled
 * loop (a loaded machine) delays both sides and blurs every edge by as much; the load self-check
 * would call such a run inconclusive.
 */
function stallMs(server: ScriptedServer, samples: Sample[]): number {
  const edges = server.transitions.map((t) => t.at);
  const from = Math.min(...edges) - 50;
  const to = Math.max(...edges) + 50;
  let worst = 0;
  for (const s of samples) {
    if (s.intendedStartMs < from || s.intendedStartMs > to) continue;
    worst = Math.max(worst, s.startMs - s.intendedStartMs);
    if (s.outcome !== 'timeout') worst = Math.max(worst, s.endMs - s.intendedStartMs);
  }
  return worst;
}

const MAX_STALL_MS = 15;
const ATTEMPTS = 3;

/**
 * One valid experiment: repeated (up to ATTEMPTS) while the machine was too busy to keep the
 * schedule near the edges; skipped, saying so, when it never was.
 */
async function experiment(
  test: { skip: (note?: string) => void },
  script: ScriptWindow[],
  durationMs: number,
  overrides: Partial<LoadProfile> = {},
) {
  const stalls: number[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const run = await drive(script, durationMs, overrides);
    const stall = stallMs(run.server, run.samples);
    if (stall <= MAX_STALL_MS) return run;
    stalls.push(Math.round(stall));
    await run.server.close();
  }
  test.skip(`machine too busy for a ground-truth run: stalls of ${stalls.join(', ')} ms near the edges`);
  throw new Error('unreachable: skipped');
}

function truth(server: ScriptedServer, window = 0): { start: number; end: number } {
  const start = server.transition(window, 'start');
  const end = server.transition(window, 'end');
  if (!start || !end) throw new Error('script did not run');
  return { start: start.at, end: end.at };
}

/** The sampler's outcomes near the window, for a failure message: `-3.1 ok, 1.2 refused, ...` (ms from start). */
function describeAround(samples: Sample[], sampler: string, t: { start: number; end: number }): string {
  return samples
    .filter((s) => s.sampler === sampler && s.startMs > t.start - 30 && s.startMs < t.end + 30)
    .sort((a, b) => a.startMs - b.startMs)
    .map((s) => `${(s.startMs - t.start).toFixed(1)}/${(s.endMs - t.start).toFixed(1)} ${s.outcome}`)
    .join(', ');
}

function expectDowntimeMatches(samples: Sample[], t: { start: number; end: number }) {
  const intervals = computeDowntime(samples);
  for (const sampler of ['home:reused', 'home:new']) {
    const own = intervals.filter((i) => i.sampler === sampler);
    expect(own, `${sampler}: ${describeAround(samples, sampler, t)}`).toHaveLength(1);
    const [interval] = own;
    expect(Math.abs((interval?.startedAt ?? 0) - t.start), `${sampler} start`).toBeLessThanOrEqual(
      TOLERANCE_MS,
    );
    expect(Math.abs((interval?.endedAt ?? 0) - t.end), `${sampler} end`).toBeLessThanOrEqual(TOLERANCE_MS);
  }
  expect(Math.abs(downtimeSeconds(intervals) * 1000 - (t.end - t.start))).toBeLessThanOrEqual(TOLERANCE_MS);
  return intervals;
}

describe('ground truth: builtin driver + analysis against scripted outages', () => {
  it('measures a 400 ms refusal per sampler within ±20 ms', async (test) => {
    const { server, samples, summary } = await experiment(
      test,
      [{ mode: 'refuse', fromMs: 250, toMs: 650 }],
      900,
    );
    const t = truth(server);
    expect(t.end - t.start).toBeGreaterThan(300);
    const intervals = expectDowntimeMatches(samples, t);
    for (const i of intervals) {
      const classes = Object.keys(i.failureClasses);
      expect(
        classes.every((c) => c === 'refused' || c === 'reset'),
        classes.join(),
      ).toBe(true);
      expect(i.failureClasses.refused ?? 0).toBeGreaterThan(50);
    }
    expect(summary.dropped).toBe(0);
  });

  it('measures a 400 ms window of 503s per sampler within ±20 ms', async (test) => {
    const { server, samples } = await experiment(test, [{ mode: '503', fromMs: 250, toMs: 650 }], 900);
    const intervals = expectDowntimeMatches(samples, truth(server));
    for (const i of intervals) expect(Object.keys(i.failureClasses)).toEqual(['http_5xx']);
    expect(samples.filter((s) => s.outcome === 'http_5xx')).toHaveLength(server.stats.byStatus[503] ?? -1);
  });

  it('counts interleaved failures exactly, as errors that burn the budget and not as downtime', async (test) => {
    const { server, samples, summary } = await experiment(
      test,
      [{ mode: 'interleave', fromMs: 200, toMs: 700, every: 3 }],
      900,
    );
    const t = truth(server);
    expect(computeDowntime(samples)).toEqual([]);
    const failures = samples.filter((s) => s.outcome !== 'ok');
    expect(failures.length).toBe(server.stats.interleaved503);
    expect(failures.length).toBeGreaterThan(50); // 500 ms × 400 req/s ÷ 3 ≈ 66
    expect(failures.every((s) => s.outcome === 'http_5xx')).toBe(true);
    const phases: PhaseRecord[] = [
      { name: 'baseline', startedAt: summary.startedAt, endedAt: t.start, status: 'passed' },
      { name: 'upgrade', startedAt: t.start, endedAt: t.end, status: 'passed' },
      { name: 'settle', startedAt: t.end, endedAt: summary.stoppedAt + 1, status: 'passed' },
    ];
    const budget = computeErrorBudget(samples, phases, 0.999);
    expect(budget.failures).toBe(failures.length);
    expect(budget.failureClasses).toEqual({ http_5xx: failures.length });
    expect(budget.consumedRatio).toBeGreaterThan(1);
    expect(budget.byPhase.baseline?.failures).toBe(0);
  });

  it('finds the mixed-version window within one request interval', async (test) => {
    const { server, samples } = await experiment(
      test,
      [{ mode: 'version', fromMs: 250, toMs: 550, version: '2.0.0' }],
      800,
    );
    const t = truth(server);
    const v = computeVersions(samples, '1.0.0', '2.0.0');
    const mixed = v.mixedWindow;
    expect(mixed).not.toBeNull();
    if (!mixed) return;
    // Each edge is seen by a response: within one request interval of the switch, plus the
    // latency (from the intended start, so including dispatch lag) of the requests around it.
    const interval = 1000 / RATE;
    const latencyAround = (at: number) =>
      Math.max(
        0,
        ...samples
          .filter((x) => Math.abs(x.intendedStartMs - at) <= 3 * interval)
          .map((x) => x.endMs - x.intendedStartMs),
      );
    expect(mixed.startedAt).toBeGreaterThanOrEqual(t.start);
    expect(mixed.startedAt - t.start).toBeLessThanOrEqual(interval + latencyAround(t.start));
    expect(mixed.endedAt).toBeLessThanOrEqual(t.end + latencyAround(t.end));
    expect(t.end - mixed.endedAt).toBeLessThanOrEqual(interval + latencyAround(t.end));
    expect(v.servedBy['1.0.0']).toBeGreaterThan(0);
    expect(v.servedBy['2.0.0']).toBeGreaterThan(0);
    const last = [...samples].sort((a, b) => a.endMs - b.endMs).slice(-20);
    expect(last.every((s) => s.version === '2.0.0')).toBe(true);
  });

  it('classifies a hang as timeouts when timeoutMs is short', async (test) => {
    const { server, samples } = await experiment(test, [{ mode: 'hang', fromMs: 200, toMs: 500 }], 800, {
      timeoutMs: 150,
    });
    const t = truth(server);
    const failed = samples.filter((s) => s.outcome !== 'ok');
    expect(failed.length).toBeGreaterThan(50);
    expect(failed.every((s) => s.outcome === 'timeout')).toBe(true);
    for (const s of failed) {
      expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(149);
      expect(s.endMs - s.startMs).toBeLessThan(1000);
    }
    expectDowntimeMatches(samples, t);
  });

  it('classifies reset connections as reset', async (test) => {
    const { server, samples } = await experiment(test, [{ mode: 'reset', fromMs: 200, toMs: 400 }], 600);
    const intervals = expectDowntimeMatches(samples, truth(server));
    for (const i of intervals) expect(Object.keys(i.failureClasses)).toEqual(['reset']);
  });
});
