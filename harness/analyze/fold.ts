import { build, type Histogram } from 'hdr-histogram-js';
import type { CellTimeline, DowntimeInterval } from '../common/run-record.js';
import type { Outcome, PhaseName, Sample } from '../common/sample.js';
import { DowntimeTracker } from './downtime-tracker.js';
import { OrderedCounts } from './ordered-counts.js';
import { TimelineFold } from './timeline-fold.js';

export interface CellFoldOptions {
  /** Width of the timeline's buckets (default 100 ms). */
  bucketMs?: number;
  /**
   * The longest a request can take (the load's timeout): the downtime reorder buffers keep
   * samples this long (plus slack). Infinity keeps every sample until finish, which is exact for
   * any arrival order (the array wrapper uses it).
   */
  timeoutMs: number;
  /** Origin of the timeline grid; default: the first markPhase, else the first sample's start. */
  startedAt?: number;
  /** See DowntimeTrackerOptions.slackMs (default 50 ms). */
  reorderSlackMs?: number;
  /** See DowntimeTrackerOptions.maxSlackMs (default 1000 ms). */
  maxReorderSlackMs?: number;
}

/** Counts of one endpoint class within one segment. */
export interface FoldedClass {
  requests: number;
  failures: number;
  /** Earliest start of a sample of this class here (orders keys as a pass over sorted samples would). */
  firstStartMs: number;
  /** Latency of ok samples in µs (endMs − intendedStartMs), 3 significant digits, as `summarize`. */
  latency: Histogram;
  /** Exact largest latency of an ok sample in ms (0 without any). */
  latencyMaxMs: number;
  bySampler: Map<string, { requests: number; failures: number }>;
}

/**
 * Samples whose start falls in [startAt, next segment's startAt). A segment begins at every
 * markPhase (named) and endPhase (null: between phases); the first segment, from −Infinity to the
 * first mark, is null too.
 */
export interface FoldedSegment {
  name: PhaseName | null;
  startAt: number;
  requests: number;
  failures: number;
  /** Every sample by outcome (the failure classes are the non-ok keys). */
  outcomes: OrderedCounts<Outcome>;
  firstFailureStartMs: number | null;
  lastFailureStartMs: number | null;
  classes: Map<string, FoldedClass>;
  /** Ok samples that started here, by version (undefined: the response named none). */
  okVersions: OrderedCounts<string | undefined>;
  /** Ok samples that ENDED here: their earliest and latest end per version (for the mixed window). */
  okEnds: Map<string | undefined, { minEndMs: number; maxEndMs: number }>;
}

export interface FoldedCell {
  segments: FoldedSegment[];
  total: number;
  /** Exactly computeDowntime of all samples (without `phase`, which needs the phase records). */
  downtime: DowntimeInterval[];
  timeline: CellTimeline;
  /** Samples that arrived later than timeout + slack after a later one of their sampler: not in `downtime`. */
  lateSamples: number;
}

/** Sizes of what the fold holds, for tests and benchmarks that check memory stays bounded. */
export interface CellFoldStats {
  samples: number;
  segments: number;
  /** Latency histograms of (segment, endpoint class); per-bucket ones are counted in openBuckets. */
  classHistograms: number;
  bufferedSamples: number;
  maxBufferedSamples: number;
  openBuckets: number;
  maxOpenBuckets: number;
  timelineBuckets: number;
  lateSamples: number;
  reorderSlackMs: number;
}

/**
 * Folds a cell's samples as they arrive (in completion order) into constant-size state: per
 * segment (phase) and endpoint class counts and HDR histograms, per sampler counts, downtime runs
 * tracked incrementally, and a timeline of time buckets. `add` is O(1) amortized (O(log buffer) for
 * the reorder heap); memory does not grow with run length except for the timeline's few counters per
 * bucket and one record per downtime interval.
 */
export class CellFold {
  readonly #segments: FoldedSegment[] = [newSegment(null, Number.NEGATIVE_INFINITY)];
  readonly #downtime: DowntimeTracker;
  readonly #timeline: TimelineFold;
  #total = 0;
  #classHistograms = 0;
  #lastClose = Number.NEGATIVE_INFINITY;
  #result: FoldedCell | null = null;

  constructor(options: CellFoldOptions) {
    this.#downtime = new DowntimeTracker({
      timeoutMs: options.timeoutMs,
      ...(options.reorderSlackMs === undefined ? {} : { slackMs: options.reorderSlackMs }),
      ...(options.maxReorderSlackMs === undefined ? {} : { maxSlackMs: options.maxReorderSlackMs }),
    });
    this.#timeline = new TimelineFold(options.bucketMs ?? 100, options.startedAt);
  }

  /** Called when a phase starts, in order: samples starting at or after `at` belong to it. */
  markPhase(name: PhaseName, at: number): void {
    this.#mark(name, at);
    this.#timeline.setOrigin(at);
  }

  /** Called when a phase ends: samples starting at or after `at` (until the next mark) are in no phase. */
  endPhase(at: number): void {
    this.#mark(null, at);
  }

  add(s: Sample): void {
    if (this.#result) throw new Error('CellFold.add after finish()');
    const seq = this.#total++;
    const seg = this.#segmentAt(s.startMs);
    seg.requests++;
    seg.outcomes.bump(s.outcome, s.startMs);
    let cls = seg.classes.get(s.endpointClass);
    if (!cls) {
      cls = newClass(s.startMs);
      seg.classes.set(s.endpointClass, cls);
      this.#classHistograms++;
    }
    cls.requests++;
    if (s.startMs < cls.firstStartMs) cls.firstStartMs = s.startMs;
    let bySampler = cls.bySampler.get(s.sampler);
    if (!bySampler) {
      bySampler = { requests: 0, failures: 0 };
      cls.bySampler.set(s.sampler, bySampler);
    }
    bySampler.requests++;
    let latencyMs: number | null = null;
    if (s.outcome !== 'ok') {
      seg.failures++;
      cls.failures++;
      bySampler.failures++;
      if (seg.firstFailureStartMs === null || s.startMs < seg.firstFailureStartMs)
        seg.firstFailureStartMs = s.startMs;
      if (seg.lastFailureStartMs === null || s.startMs > seg.lastFailureStartMs)
        seg.lastFailureStartMs = s.startMs;
    } else {
      latencyMs = Math.max(0, s.endMs - s.intendedStartMs);
      cls.latency.recordValue(Math.round(latencyMs * 1000));
      if (latencyMs > cls.latencyMaxMs) cls.latencyMaxMs = latencyMs;
      seg.okVersions.bump(s.version, s.startMs);
      const ends = this.#segmentAt(s.endMs).okEnds;
      const e = ends.get(s.version);
      if (!e) ends.set(s.version, { minEndMs: s.endMs, maxEndMs: s.endMs });
      else {
        if (s.endMs < e.minEndMs) e.minEndMs = s.endMs;
        if (s.endMs > e.maxEndMs) e.maxEndMs = s.endMs;
      }
    }
    this.#timeline.add(s, latencyMs);
    this.#downtime.add(s, seq);
    const w = this.#downtime.watermark;
    if (w > this.#lastClose) {
      this.#lastClose = w;
      this.#timeline.closeBefore(w);
    }
  }

  stats(): CellFoldStats {
    const d = this.#downtime.stats;
    const t = this.#timeline.stats;
    return {
      samples: this.#total,
      segments: this.#segments.length,
      classHistograms: this.#classHistograms,
      bufferedSamples: d.buffered,
      maxBufferedSamples: d.maxBuffered,
      openBuckets: t.openBuckets,
      maxOpenBuckets: t.maxOpenBuckets,
      timelineBuckets: t.buckets,
      lateSamples: d.lateSamples,
      reorderSlackMs: this.#downtime.slackMs,
    };
  }

  /** Releases every buffer and closes every bucket. Idempotent; add() is not allowed afterwards. */
  finish(): FoldedCell {
    if (this.#result) return this.#result;
    const downtime = this.#downtime.finish();
    this.#result = {
      segments: this.#segments,
      total: this.#total,
      downtime,
      timeline: this.#timeline.finish(),
      lateSamples: this.#downtime.stats.lateSamples,
    };
    return this.#result;
  }

  #mark(name: PhaseName | null, at: number): void {
    if (this.#result) throw new Error('CellFold: phase marked after finish()');
    const last = this.#segments[this.#segments.length - 1] as FoldedSegment;
    if (!(at >= last.startAt)) throw new RangeError(`CellFold: phase mark at ${at} before the previous one`);
    this.#segments.push(newSegment(name, at));
  }

  /** The last segment with startAt <= t. */
  #segmentAt(t: number): FoldedSegment {
    const segs = this.#segments;
    const last = segs[segs.length - 1] as FoldedSegment;
    if (t >= last.startAt) return last;
    let lo = 0;
    let hi = segs.length - 1;
    // Invariant: segs[lo].startAt <= t < segs[hi].startAt (segs[0] starts at −Infinity).
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((segs[mid] as FoldedSegment).startAt <= t) lo = mid;
      else hi = mid;
    }
    return segs[lo] as FoldedSegment;
  }
}

/** A latency histogram configured as `summarize` configures its own (so merged percentiles agree). */
export function newLatencyHistogram(): Histogram {
  return build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
}

function newClass(firstStartMs: number): FoldedClass {
  return {
    requests: 0,
    failures: 0,
    firstStartMs,
    latency: newLatencyHistogram(),
    latencyMaxMs: 0,
    bySampler: new Map(),
  };
}

function newSegment(name: PhaseName | null, startAt: number): FoldedSegment {
  return {
    name,
    startAt,
    requests: 0,
    failures: 0,
    outcomes: new OrderedCounts(),
    firstFailureStartMs: null,
    lastFailureStartMs: null,
    classes: new Map(),
    okVersions: new OrderedCounts(),
    okEnds: new Map(),
  };
}
