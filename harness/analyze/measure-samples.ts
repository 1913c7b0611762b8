import type { Outcome, Sample } from '../common/sample.js';
import type { CellMeasures, MeasureContext } from './cell-measures.js';
import { versionsInPhase } from './checks.js';
import { computeDowntime } from './downtime.js';
import { computeErrorBudget } from './error-budget.js';
import { computeLatency, computeLatencyByClass } from './latency.js';
import { phaseAt, phaseSpan, stopsOf, withLastOnly } from './phases.js';
import { computeVersions } from './versions.js';

/**
 * The measures of an array of samples, by the array-based functions: the reference the folded
 * analysis must equal (tests compare the two), and what analyzeCell computed before folding.
 * Iterates the samples in the given order (the cell runner sorted them by start).
 */
export function measureSamples(samples: readonly Sample[], ctx: MeasureContext): CellMeasures {
  const { phases } = ctx;
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const s of samples) byOutcome[s.outcome] = (byOutcome[s.outcome] ?? 0) + 1;
  return {
    total: samples.length,
    byOutcome,
    downtime: computeDowntime(samples).map((i) => ({
      ...i,
      phase: phaseAt(phases, i.startedAt)?.name ?? 'none',
    })),
    errorBudget: computeErrorBudget(samples, phases, ctx.successRatio),
    latency: computeLatency(samples, phases),
    latencyByClass: computeLatencyByClass(samples, phases),
    samplerClasses: samplerClasses(samples),
    versions: computeVersions(samples, ctx.from, ctx.to, phaseSpan(phases, 'rollback')?.start),
    settleVersions: versionsInPhase(samples, withLastOnly(phases, 'settle'), 'settle', ctx.to),
    rollbackVersions: versionsInPhase(samples, phases, 'verify-rollback', ctx.from),
    stopVersions: stopsOf(ctx, (only, stop) => versionsInPhase(samples, only, 'settle', stop)),
    lateSamples: 0,
  };
}

/** The endpoint class of each sampler (its first sample's), sorted by sampler. */
export function samplerClasses(samples: readonly Sample[]): Record<string, string> {
  const found = new Map<string, { cls: string; first: number }>();
  for (const s of samples) {
    const had = found.get(s.sampler);
    if (!had || s.startMs < had.first) found.set(s.sampler, { cls: s.endpointClass, first: s.startMs });
  }
  const out: Record<string, string> = {};
  for (const sampler of [...found.keys()].sort()) out[sampler] = (found.get(sampler) as { cls: string }).cls;
  return out;
}
