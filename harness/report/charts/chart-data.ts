import type { CellRecord, CellTimeline, DowntimeInterval, TimelineBucket } from '../../common/run-record.js';
import { OUTCOMES, type Outcome } from '../../common/sample.js';

/**
 * The numbers a cell's charts plot, read off its timeline (never recomputed from samples). Times are
 * seconds from the cell's start. Long timelines are shown in wider steps so a chart stays a few
 * hundred points per series: rates stay exact (counts over the buckets the step really holds; the
 * last step may hold fewer), latencies show the worst bucket of each step, version shares are counted
 * over the step.
 */
export interface ChartData {
  /** Seconds from cell start covered by the x axis (whole seconds around the data). */
  fromSeconds: number;
  toSeconds: number;
  /** End of the last bucket, seconds from cell start. */
  dataEndSeconds: number;
  /** Width of one bucket of the record's timeline. */
  bucketMs: number;
  /** Width of one plotted step (a whole number of buckets; the last step may be narrower). */
  stepMs: number;
  /** Start of each step, seconds from cell start. */
  x: number[];
  /** Requests per second by outcome; only outcomes that occurred (ok always). */
  rateByOutcome: Array<{ outcome: Outcome; values: number[] }>;
  p50Ms: Array<number | null>;
  p99Ms: Array<number | null>;
  /** Share of ok responses per serving version, in percent (null where no ok response was read). */
  versionShare: Array<{ version: string; values: Array<number | null> }>;
  phases: PhaseBand[];
  /** Union of every sampler's downtime intervals, clipped to the axis. */
  downtime: Array<{ fromSeconds: number; toSeconds: number }>;
}

export interface PhaseBand {
  name: string;
  status: string;
  fromSeconds: number;
  toSeconds: number;
}

/** Steps per series above which buckets are merged into wider steps. */
export const MAX_POINTS = 600;

/** Null for a cell that has no timeline or an empty one. */
export function chartData(cell: CellRecord, maxPoints = MAX_POINTS): ChartData | null {
  const timeline = cell.timeline;
  if (!timeline || timeline.buckets.length === 0 || timeline.bucketMs <= 0) return null;
  const factor = Math.max(1, Math.ceil(timeline.buckets.length / maxPoints));
  const steps = mergeBuckets(timeline, factor);
  const stepMs = timeline.bucketMs * factor;
  const seconds = (epochMs: number) => round((epochMs - cell.startedAt) / 1000, 3);
  const first = timeline.buckets[0]?.t ?? timeline.startedAt;
  const last = timeline.buckets.at(-1)?.t ?? first;
  // Whole seconds at both ends keep the axis labels round.
  const fromSeconds = Math.floor(seconds(first));
  const dataEndSeconds = seconds(last + timeline.bucketMs);
  const toSeconds = Math.ceil(dataEndSeconds);
  const clip = (from: number, to: number) => ({
    fromSeconds: Math.max(from, fromSeconds),
    toSeconds: Math.min(to, toSeconds),
  });
  const phases = cell.phases
    .map((p) => ({ name: p.name, status: p.status, ...clip(seconds(p.startedAt), seconds(p.endedAt)) }))
    .filter((p) => p.toSeconds > p.fromSeconds);
  const downtime = unionOf(cell.downtime)
    .map((d) => clip(seconds(d.startedAt), seconds(d.endedAt)))
    .filter((d) => d.toSeconds > d.fromSeconds);
  return {
    fromSeconds,
    toSeconds,
    dataEndSeconds,
    bucketMs: timeline.bucketMs,
    stepMs,
    x: steps.map((s) => seconds(s.t)),
    rateByOutcome: ratesByOutcome(steps, timeline.bucketMs),
    p50Ms: steps.map((s) => s.p50Ms),
    p99Ms: steps.map((s) => s.p99Ms),
    versionShare: versionShares(steps),
    phases,
    downtime,
  };
}

interface Step {
  t: number;
  /** Buckets merged into the step. */
  buckets: number;
  byOutcome: Partial<Record<Outcome, number>>;
  byVersion: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
}

function mergeBuckets(timeline: CellTimeline, factor: number): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < timeline.buckets.length; i += factor) {
    const group = timeline.buckets.slice(i, i + factor);
    steps.push({
      t: group[0]?.t ?? timeline.startedAt + i * timeline.bucketMs,
      buckets: group.length,
      byOutcome: sumRecords(group.map((b) => b.byOutcome)),
      byVersion: sumRecords(group.map((b) => b.byVersion)),
      p50Ms: worst(group, 'p50Ms'),
      p99Ms: worst(group, 'p99Ms'),
    });
  }
  return steps;
}

/** Requests per second of each step: its count over the time its own buckets cover. */
function ratesByOutcome(steps: Step[], bucketMs: number): ChartData['rateByOutcome'] {
  const present = OUTCOMES.filter((o) => o === 'ok' || steps.some((s) => (s.byOutcome[o] ?? 0) > 0));
  return present.map((outcome) => ({
    outcome,
    values: steps.map((s) => round(((s.byOutcome[outcome] ?? 0) * 1000) / (bucketMs * s.buckets), 3)),
  }));
}

/** Versions in order of first appearance, `unknown` last. */
function versionShares(steps: Step[]): ChartData['versionShare'] {
  const versions: string[] = [];
  for (const step of steps) {
    for (const [version, n] of Object.entries(step.byVersion)) {
      if (n > 0 && !versions.includes(version)) versions.push(version);
    }
  }
  versions.sort((a, b) => Number(a === 'unknown') - Number(b === 'unknown'));
  return versions.map((version) => ({
    version,
    values: steps.map((s) => {
      const total = Object.values(s.byVersion).reduce((a, b) => a + b, 0);
      return total > 0 ? round(((s.byVersion[version] ?? 0) * 100) / total, 2) : null;
    }),
  }));
}

/** The union of intervals (any sampler down), sorted by start. */
export function unionOf(
  intervals: readonly DowntimeInterval[],
): Array<{ startedAt: number; endedAt: number }> {
  const sorted = [...intervals].sort((a, b) => a.startedAt - b.startedAt || a.endedAt - b.endedAt);
  const union: Array<{ startedAt: number; endedAt: number }> = [];
  for (const interval of sorted) {
    const last = union.at(-1);
    if (last && interval.startedAt <= last.endedAt) last.endedAt = Math.max(last.endedAt, interval.endedAt);
    else union.push({ startedAt: interval.startedAt, endedAt: interval.endedAt });
  }
  return union;
}

function sumRecords<K extends string>(records: Array<Partial<Record<K, number>>>): Record<K, number> {
  const total = {} as Record<K, number>;
  for (const record of records) {
    for (const [key, n] of Object.entries(record) as Array<[K, number | undefined]>) {
      total[key] = (total[key] ?? 0) + (n ?? 0);
    }
  }
  return total;
}

function worst(buckets: TimelineBucket[], key: 'p50Ms' | 'p99Ms'): number | null {
  let max: number | null = null;
  for (const bucket of buckets) {
    const v = bucket[key];
    if (v !== null && (max === null || v > max)) max = v;
  }
  return max;
}

function round(n: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f;
}
