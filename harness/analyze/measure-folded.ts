import type { ErrorBudget, LatencySummary } from '../common/run-record.js';
import type { FailureClass, Outcome, PhaseName, PhaseRecord } from '../common/sample.js';
import type { CellMeasures, MeasureContext } from './cell-measures.js';
import type { PhaseVersions } from './checks.js';
import { consumedRatio, emptyErrorBudget } from './error-budget.js';
import { type FoldedCell, type FoldedClass, type FoldedSegment, newLatencyHistogram } from './fold.js';
import { ALL_PHASES, sortedNested } from './latency.js';
import { OrderedCounts } from './ordered-counts.js';
import { inPhase, phaseAt, phaseSpan, stopsOf, upgradeWindow, withLastOnly } from './phases.js';
import { UNKNOWN_VERSION, type VersionsSummary } from './versions.js';

/**
 * The measures of a folded cell, equal to `measureSamples` of the same samples. A segment lies
 * wholly inside one phase (or none), so every question about phases (which phase, inside the
 * upgrade window, before the rollback) is asked once per segment, at its start, against the phase
 * records. That is exact when every phase start and end is a segment boundary (foldSamples, and the
 * cell runner that marks each start and end as it happens: no sample can start between a phase
 * record's clock reading and the mark taken right after it).
 */
export function measureFolded(folded: FoldedCell, ctx: MeasureContext): CellMeasures {
  const { phases } = ctx;
  const segments = folded.segments;
  const outcomes = new OrderedCounts<Outcome>();
  for (const seg of segments) outcomes.addAll(seg.outcomes);
  return {
    total: folded.total,
    byOutcome: outcomes.toRecord(),
    downtime: folded.downtime.map((i) => ({ ...i, phase: phaseAt(phases, i.startedAt)?.name ?? 'none' })),
    errorBudget: foldedErrorBudget(segments, phases, ctx.successRatio),
    latency: foldedLatency(segments, phases),
    latencyByClass: foldedLatencyByClass(segments, phases),
    samplerClasses: foldedSamplerClasses(segments),
    versions: foldedVersions(segments, ctx.from, ctx.to, phaseSpan(phases, 'rollback')?.start),
    settleVersions: foldedVersionsIn(segments, withLastOnly(phases, 'settle'), 'settle', ctx.to),
    rollbackVersions: foldedVersionsIn(segments, phases, 'verify-rollback', ctx.from),
    stopVersions: stopsOf(ctx, (only, stop) => foldedVersionsIn(segments, only, 'settle', stop)),
    timeline: folded.timeline,
    lateSamples: folded.lateSamples,
  };
}

/** As computeErrorBudget. */
export function foldedErrorBudget(
  segments: readonly FoldedSegment[],
  phases: readonly PhaseRecord[],
  target: number,
): ErrorBudget {
  const window = upgradeWindow(phases);
  const budget = emptyErrorBudget(target, window);
  const failureClasses = new OrderedCounts<Outcome>();
  const byClass = new Map<string, { requests: number; failures: number; first: number }>();
  for (const seg of segments) {
    if (seg.requests === 0) continue;
    const phase = phaseAt(phases, seg.startAt);
    if (phase) {
      const entry = budget.byPhase[phase.name] ?? { requests: 0, failures: 0 };
      entry.requests += seg.requests;
      entry.failures += seg.failures;
      budget.byPhase[phase.name] = entry;
    }
    if (!window || seg.startAt < window.start || seg.startAt >= window.end) continue;
    budget.requests += seg.requests;
    budget.failures += seg.failures;
    for (const [name, c] of seg.classes) {
      const entry = byClass.get(name);
      if (!entry) byClass.set(name, { requests: c.requests, failures: c.failures, first: c.firstStartMs });
      else {
        entry.requests += c.requests;
        entry.failures += c.failures;
        entry.first = Math.min(entry.first, c.firstStartMs);
      }
    }
    for (const [o, n, first] of seg.outcomes.entries()) if (o !== 'ok') failureClasses.bump(o, first, n);
    if (seg.firstFailureStartMs !== null)
      budget.firstFailureAt = Math.min(
        budget.firstFailureAt ?? seg.firstFailureStartMs,
        seg.firstFailureStartMs,
      );
    if (seg.lastFailureStartMs !== null)
      budget.lastFailureAt = Math.max(budget.lastFailureAt ?? seg.lastFailureStartMs, seg.lastFailureStartMs);
  }
  for (const [name, c] of [...byClass].sort((a, b) => a[1].first - b[1].first))
    budget.byEndpointClass[name] = { requests: c.requests, failures: c.failures };
  budget.failureClasses = failureClasses.toRecord() as Partial<Record<FailureClass, number>>;
  budget.allowedFailures = (1 - target) * budget.requests;
  budget.consumedRatio = consumedRatio(budget.failures, budget.allowedFailures);
  return budget;
}

/** As computeLatency: 'all' always, a phase only when it has ok samples. */
export function foldedLatency(
  segments: readonly FoldedSegment[],
  phases: readonly PhaseRecord[],
): Record<string, LatencySummary> {
  const groups = new Map<string, FoldedClass[]>([[ALL_PHASES, []]]);
  for (const seg of segments) {
    if (seg.requests === seg.failures) continue;
    const withOk = [...seg.classes.values()].filter((c) => c.requests > c.failures);
    groups.get(ALL_PHASES)?.push(...withOk);
    const phase = phaseAt(phases, seg.startAt);
    if (!phase) continue;
    const list = groups.get(phase.name);
    if (list) list.push(...withOk);
    else groups.set(phase.name, withOk);
  }
  const out: Record<string, LatencySummary> = {};
  for (const [key, list] of groups) out[key] = summarizeClasses(list);
  return out;
}

/**
 * Latency per phase and endpoint class (for per-class latency SLOs): phase → class → summary, plus
 * 'all' → class over every sample. Only (phase, class) pairs with ok samples appear; keys sorted.
 */
export function foldedLatencyByClass(
  segments: readonly FoldedSegment[],
  phases: readonly PhaseRecord[],
): Record<string, Record<string, LatencySummary>> {
  const groups = new Map<string, Map<string, FoldedClass[]>>();
  const put = (phase: string, cls: string, c: FoldedClass) => {
    const byClass = groups.get(phase) ?? new Map<string, FoldedClass[]>();
    groups.set(phase, byClass);
    const list = byClass.get(cls);
    if (list) list.push(c);
    else byClass.set(cls, [c]);
  };
  for (const seg of segments) {
    const phase = phaseAt(phases, seg.startAt)?.name;
    for (const [cls, c] of seg.classes) {
      if (c.requests === c.failures) continue;
      put(ALL_PHASES, cls, c);
      if (phase) put(phase, cls, c);
    }
  }
  return sortedNested(groups, summarizeClasses);
}

/** As samplerClasses: the endpoint class of each sampler (the first seen), sorted by sampler. */
export function foldedSamplerClasses(segments: readonly FoldedSegment[]): Record<string, string> {
  const found = new Map<string, { cls: string; first: number }>();
  for (const seg of segments)
    for (const [cls, c] of seg.classes)
      for (const sampler of c.bySampler.keys()) {
        const had = found.get(sampler);
        if (!had || c.firstStartMs < had.first) found.set(sampler, { cls, first: c.firstStartMs });
      }
  const out: Record<string, string> = {};
  for (const sampler of [...found.keys()].sort()) out[sampler] = (found.get(sampler) as { cls: string }).cls;
  return out;
}

/** What `summarize` gives for the ok latencies folded into these classes (HDR merge is exact). */
export function summarizeClasses(list: readonly FoldedClass[]): LatencySummary {
  let count = 0;
  let maxMs = 0;
  for (const c of list) {
    count += c.requests - c.failures;
    maxMs = Math.max(maxMs, c.latencyMaxMs);
  }
  if (count === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const h = newLatencyHistogram();
  for (const c of list) h.add(c.latency);
  return {
    count,
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p90Ms: h.getValueAtPercentile(90) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    maxMs,
  };
}

/** As computeVersions: ok responses by version, and the mixed window from the ok responses' end times. */
export function foldedVersions(
  segments: readonly FoldedSegment[],
  from: string,
  to: string,
  until: number = Number.POSITIVE_INFINITY,
): VersionsSummary {
  const servedBy = new OrderedCounts<string | undefined>();
  let firstTo = Number.POSITIVE_INFINITY;
  let lastFrom = Number.NEGATIVE_INFINITY;
  for (const seg of segments) {
    servedBy.addAll(seg.okVersions);
    // A segment lies wholly before the rollback's start (a boundary) or wholly after it.
    if (!(seg.startAt < until)) continue;
    const toEnds = seg.okEnds.get(to);
    if (toEnds) firstTo = Math.min(firstTo, toEnds.minEndMs);
    // `from`, or a stop of a multi-hop path: any known version but `to`.
    for (const [v, ends] of seg.okEnds)
      if (v !== undefined && v !== to) lastFrom = Math.max(lastFrom, ends.maxEndMs);
  }
  // The latest older response before `until` counts only when it came after the first `to` one.
  if (!(lastFrom > firstTo)) lastFrom = Number.NEGATIVE_INFINITY;
  const mixedWindow =
    from !== to && Number.isFinite(firstTo) && Number.isFinite(lastFrom)
      ? { startedAt: firstTo, endedAt: lastFrom, seconds: (lastFrom - firstTo) / 1000 }
      : null;
  return { servedBy: servedBy.toRecord((v) => v ?? UNKNOWN_VERSION), mixedWindow };
}

/** As versionsInPhase: ok responses that started inside the named phase(s), against `expected`. */
export function foldedVersionsIn(
  segments: readonly FoldedSegment[],
  phases: readonly PhaseRecord[],
  phase: PhaseName,
  expected: string,
): PhaseVersions {
  let total = 0;
  const others = new OrderedCounts<string | undefined>();
  for (const seg of segments) {
    if (!inPhase(phases, phase, seg.startAt)) continue;
    for (const [v, n, first] of seg.okVersions.entries()) {
      total += n;
      if (v !== expected) others.bump(v, first, n);
    }
  }
  const record = others.toRecord((v) => v ?? UNKNOWN_VERSION);
  return { total, wrong: others.total(), others: record };
}
