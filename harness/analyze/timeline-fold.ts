import type { CellTimeline, TimelineBucket } from '../common/run-record.js';
import { OUTCOMES, type Outcome, type Sample } from '../common/sample.js';
import { BucketHistogram } from './bucket-histogram.js';
import { UNKNOWN_VERSION } from './versions.js';

interface BucketState {
  index: number;
  total: number;
  failed: number;
  byOutcome: Partial<Record<Outcome, number>>;
  byVersion: Record<string, number>;
  byClass: Record<string, { total: number; failed: number }>;
  /** Latency of ok samples while the bucket is open; released to the pool when it closes. */
  hist: BucketHistogram | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Counts per time bucket (by the sample's start) and per-bucket latency percentiles. A bucket's
 * histogram lives only while the bucket is open (samples that started in it may still complete);
 * closing computes p50/p99 and returns the histogram to a pool, so the open histograms number at
 * most (timeout + slack) / bucketMs + 1 whatever the run length. What stays is a few counters per
 * bucket: the timeline itself.
 */
export class TimelineFold {
  readonly bucketMs: number;
  #origin: number | null;
  readonly #buckets = new Map<number, BucketState>();
  /** Indices of open buckets, ascending. */
  readonly #open: number[] = [];
  readonly #pool: BucketHistogram[] = [];
  #maxOpen = 0;

  constructor(bucketMs: number, origin?: number) {
    if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be > 0, got ${bucketMs}`);
    this.bucketMs = bucketMs;
    this.#origin = origin ?? null;
  }

  /** Fixes the grid's origin unless it is already fixed. */
  setOrigin(at: number): void {
    this.#origin ??= at;
  }

  get stats(): { buckets: number; openBuckets: number; maxOpenBuckets: number; pooledHistograms: number } {
    return {
      buckets: this.#buckets.size,
      openBuckets: this.#open.length,
      maxOpenBuckets: this.#maxOpen,
      pooledHistograms: this.#pool.length,
    };
  }

  /** `latencyMs` is the ok sample's latency, or null for a failure. */
  add(s: Sample, latencyMs: number | null): void {
    const origin = this.#origin ?? s.startMs;
    this.#origin = origin;
    const index = Math.floor((s.startMs - origin) / this.bucketMs);
    let b = this.#buckets.get(index);
    if (!b) {
      b = this.#openBucket(index);
    }
    b.total++;
    b.byOutcome[s.outcome] = (b.byOutcome[s.outcome] ?? 0) + 1;
    const cls = b.byClass[s.endpointClass] ?? { total: 0, failed: 0 };
    cls.total++;
    b.byClass[s.endpointClass] = cls;
    if (latencyMs === null) {
      b.failed++;
      cls.failed++;
      return;
    }
    const v = s.version ?? UNKNOWN_VERSION;
    b.byVersion[v] = (b.byVersion[v] ?? 0) + 1;
    // A sample into an already closed bucket (it arrived later than timeout + slack) is counted, but
    // the bucket's percentiles are final.
    b.hist?.record(Math.round(latencyMs * 1000));
  }

  /** Closes every bucket that ends at or before `watermark` (all its samples have arrived). */
  closeBefore(watermark: number): void {
    if (this.#origin === null) return;
    while (this.#open.length > 0) {
      const index = this.#open[0] as number;
      if (this.#origin + (index + 1) * this.bucketMs > watermark) break;
      this.#open.shift();
      this.#close(index);
    }
  }

  finish(): CellTimeline {
    for (const index of this.#open.splice(0)) this.#close(index);
    const origin = this.#origin ?? 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const i of this.#buckets.keys()) {
      if (i < first) first = i;
      if (i > last) last = i;
    }
    const buckets: TimelineBucket[] = [];
    for (let i = first; i <= last; i++)
      buckets.push(toRecord(origin + i * this.bucketMs, this.#buckets.get(i)));
    return { bucketMs: this.bucketMs, startedAt: origin, buckets };
  }

  #openBucket(index: number): BucketState {
    const b: BucketState = {
      index,
      total: 0,
      failed: 0,
      byOutcome: {},
      byVersion: {},
      byClass: {},
      hist: this.#pool.pop() ?? new BucketHistogram(),
      p50Ms: null,
      p99Ms: null,
    };
    this.#buckets.set(index, b);
    // Usually the newest bucket: insert from the back.
    let i = this.#open.length;
    while (i > 0 && (this.#open[i - 1] as number) > index) i--;
    this.#open.splice(i, 0, index);
    if (this.#open.length > this.#maxOpen) this.#maxOpen = this.#open.length;
    return b;
  }

  #close(index: number): void {
    const b = this.#buckets.get(index);
    if (!b?.hist) return;
    if (b.hist.totalCount > 0) {
      b.p50Ms = b.hist.valueAtPercentile(50) / 1000;
      b.p99Ms = b.hist.valueAtPercentile(99) / 1000;
    }
    b.hist.reset();
    this.#pool.push(b.hist);
    b.hist = null;
  }
}

function toRecord(t: number, b: BucketState | undefined): TimelineBucket {
  if (!b) return { t, total: 0, failed: 0, byOutcome: {}, byVersion: {}, p50Ms: null, p99Ms: null };
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const o of OUTCOMES) if (b.byOutcome[o] !== undefined) byOutcome[o] = b.byOutcome[o];
  return {
    t,
    total: b.total,
    failed: b.failed,
    byOutcome,
    byVersion: b.byVersion,
    p50Ms: b.p50Ms,
    p99Ms: b.p99Ms,
    byClass: b.byClass,
  };
}
