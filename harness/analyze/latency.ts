import { build } from 'hdr-histogram-js';
import type { LatencySummary } from '../common/run-record.js';
import type { PhaseRecord, Sample } from '../common/sample.js';
import { phaseAt } from './phases.js';

/** Key of the summary over all phases. */
export const ALL_PHASES = 'all';

/**
 * Latency of ok samples, measured from the intended start (so queueing behind a slow server
 * counts), per phase (by the sample's start) and over all. Percentiles come from an HDR histogram
 * at microsecond resolution with 3 significant digits; max is exact. 'all' is always present;
 * phases only when they have ok samples.
 */
export function computeLatency(
  samples: readonly Sample[],
  phases: readonly PhaseRecord[],
): Record<string, LatencySummary> {
  const groups = new Map<string, number[]>([[ALL_PHASES, []]]);
  for (const s of samples) {
    if (s.outcome !== 'ok') continue;
    const ms = Math.max(0, s.endMs - s.intendedStartMs);
    groups.get(ALL_PHASES)?.push(ms);
    const phase = phaseAt(phases, s.startMs);
    if (!phase) continue;
    const list = groups.get(phase.name);
    if (list) list.push(ms);
    else groups.set(phase.name, [ms]);
  }
  const out: Record<string, LatencySummary> = {};
  for (const [key, values] of groups) out[key] = summarize(values);
  return out;
}

/** p50/p90/p99/max of latencies in milliseconds. */
export function summarize(valuesMs: readonly number[]): LatencySummary {
  if (valuesMs.length === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const h = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  try {
    let max = 0;
    for (const v of valuesMs) {
      h.recordValue(Math.round(v * 1000));
      max = Math.max(max, v);
    }
    return {
      count: valuesMs.length,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p90Ms: h.getValueAtPercentile(90) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      maxMs: max,
    };
  } finally {
    h.destroy();
  }
}

/**
 * Latency per phase and endpoint class (for per-class latency SLOs): phase → class → summary, plus
 * 'all' → class over every sample. Only (phase, class) pairs with ok samples appear; both levels'
 * keys are sorted, so the record does not depend on arrival order.
 */
export function computeLatencyByClass(
  samples: readonly Sample[],
  phases: readonly PhaseRecord[],
): Record<string, Record<string, LatencySummary>> {
  const groups = new Map<string, Map<string, number[]>>();
  const put = (phase: string, cls: string, ms: number) => {
    const byClass = groups.get(phase) ?? new Map<string, number[]>();
    groups.set(phase, byClass);
    const list = byClass.get(cls);
    if (list) list.push(ms);
    else byClass.set(cls, [ms]);
  };
  for (const s of samples) {
    if (s.outcome !== 'ok') continue;
    const ms = Math.max(0, s.endMs - s.intendedStartMs);
    put(ALL_PHASES, s.endpointClass, ms);
    const phase = phaseAt(phases, s.startMs);
    if (phase) put(phase.name, s.endpointClass, ms);
  }
  return sortedNested(groups, summarize);
}

/** A two-level record with both levels' keys sorted (code-unit order). */
export function sortedNested<T, R>(
  groups: ReadonlyMap<string, ReadonlyMap<string, T>>,
  summarizeOne: (t: T) => R,
): Record<string, Record<string, R>> {
  const out: Record<string, Record<string, R>> = {};
  for (const phase of [...groups.keys()].sort()) {
    const byClass = groups.get(phase) as ReadonlyMap<string, T>;
    const entry: Record<string, R> = {};
    for (const cls of [...byClass.keys()].sort()) entry[cls] = summarizeOne(byClass.get(cls) as T);
    out[phase] = entry;
  }
  return out;
}
