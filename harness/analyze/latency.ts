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
