import type { Check, LoadCheck, PhaseRate, ProcessLoad } from '../common/run-record.js';
import type { PhaseRecord } from '../common/sample.js';
import type { SloConfig } from '../config/types.js';
import type { LoadSummary } from '../load/load-driver.js';
import { percent } from './format.js';

/** A phase is judged only when this many requests were due in it: shorter ones are all edge. */
export const MIN_JUDGED_PHASE_REQUESTS = 100;

export interface LoadCheckInput {
  load: LoadSummary;
  slo: SloConfig;
  phases: readonly PhaseRecord[];
  /** Requests that started in each phase (the error budget's byPhase). */
  requestsByPhase: Readonly<Record<string, { requests: number }>>;
  /** Requests in the upgrade window; null when there was no (successful) upgrade to measure. */
  requestsInUpgradeWindow: number | null;
  process?: ProcessLoad;
}

/** Seconds of each phase (by name; hops repeat phases) while the load ran. */
function secondsUnderLoad(phases: readonly PhaseRecord[], load: LoadSummary): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const p of phases) {
    const overlap = Math.min(p.endedAt, load.stoppedAt) - Math.max(p.startedAt, load.startedAt);
    if (overlap > 0) seconds.set(p.name, (seconds.get(p.name) ?? 0) + overlap / 1000);
  }
  return seconds;
}

/**
 * The achieved rate of each phase that overlapped the load. A generator that held its rate over
 * the whole run may still have starved during the one phase that matters (the upgrade), so each
 * phase long enough to judge is held to the same ratio as the run.
 */
export function phaseRates(input: LoadCheckInput): Record<string, PhaseRate> {
  const rates: Record<string, PhaseRate> = {};
  for (const [name, seconds] of secondsUnderLoad(input.phases, input.load)) {
    const requests = input.requestsByPhase[name]?.requests ?? 0;
    rates[name] = {
      seconds,
      requests,
      achievedRate: requests / seconds,
      judged: input.load.targetRate * seconds >= MIN_JUDGED_PHASE_REQUESTS,
    };
  }
  return rates;
}

function rate(n: number): string {
  return n.toFixed(1);
}

/**
 * Self-check of the generator: achieved rate (sent / scheduling duration) against the target, over
 * the run and within each phase, dropped requests against what the same ratio allows, and the
 * schedule lag. Also fails when the upgrade window holds no request at all (nothing was measured
 * where it matters). The generator's CPU is reported with it, and named in the reason when it fails.
 */
export function loadCheck(input: LoadCheckInput): LoadCheck {
  const { load, slo } = input;
  const durationS = Math.max(0, load.stoppedAt - load.startedAt) / 1000;
  const achievedRate = durationS > 0 ? load.sent / durationS : 0;
  const ratio = load.targetRate > 0 ? achievedRate / load.targetRate : 1;
  const maxDropped = (1 - slo.minAchievedRateRatio) * load.scheduled;
  const byPhase = phaseRates(input);
  const result: LoadCheck = {
    targetRate: load.targetRate,
    achievedRate,
    scheduled: load.scheduled,
    sent: load.sent,
    dropped: load.dropped,
    scheduleLagP99Ms: load.scheduleLagP99Ms,
    byPhase,
    ...(input.process ? { process: input.process } : {}),
    ok: true,
  };
  const problems: string[] = [];
  if (ratio < slo.minAchievedRateRatio) {
    problems.push(
      `achieved ${rate(achievedRate)} req/s of ${load.targetRate} req/s target (${percent(ratio)} < ${percent(slo.minAchievedRateRatio)} required)`,
    );
  }
  for (const [name, p] of Object.entries(byPhase)) {
    const phaseRatio = load.targetRate > 0 ? p.achievedRate / load.targetRate : 1;
    if (p.judged && phaseRatio < slo.minAchievedRateRatio)
      problems.push(
        `achieved ${rate(p.achievedRate)} req/s of ${load.targetRate} in the ${name} phase (${percent(phaseRatio)} < ${percent(slo.minAchievedRateRatio)})`,
      );
  }
  if (load.dropped > maxDropped) {
    problems.push(
      `dropped ${load.dropped} of ${load.scheduled} requests at the in-flight cap (max ${Math.floor(maxDropped)})`,
    );
  }
  if (load.scheduleLagP99Ms > slo.maxScheduleLagP99Ms) {
    // Late requests are still sent (in a catch-up), so the rate can look right while the timing is not.
    problems.push(
      `requests left ${load.scheduleLagP99Ms.toFixed(1)} ms late at p99 (max ${slo.maxScheduleLagP99Ms} ms)`,
    );
  }
  if (input.requestsInUpgradeWindow === 0) problems.push('no requests were measured in the upgrade window');
  if (problems.length > 0) {
    result.ok = false;
    const cpu = input.process ? `; ${processText(input.process)}` : '';
    result.reason = `load generator not trustworthy: ${problems.join('; ')}${cpu}`;
  }
  return result;
}

/** "generator process: 0.97 CPU cores, event loop 98% busy". */
export function processText(p: ProcessLoad): string {
  return `generator process: ${p.cpuCores.toFixed(2)} CPU cores, event loop ${percent(p.eventLoopUtilization)} busy`;
}

export function loadCheckAsCheck(load: LoadCheck, slo: SloConfig): Check {
  const ratio = load.targetRate > 0 ? load.achievedRate / load.targetRate : 1;
  const cpu = load.process ? `, ${processText(load.process)}` : '';
  return {
    name: 'load',
    category: 'load',
    passed: load.ok,
    value: ratio,
    limit: slo.minAchievedRateRatio,
    message:
      load.reason ??
      `load held: ${rate(load.achievedRate)} of ${load.targetRate} req/s, ${load.dropped} dropped, schedule lag p99 ${load.scheduleLagP99Ms.toFixed(1)} ms${cpu}`,
  };
}
