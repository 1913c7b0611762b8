/**
 * Constant memory: folding 2 million samples keeps bounded state. Heap size cannot be asserted
 * reliably inside vitest (no --expose-gc), so the test asserts the sizes of what the fold retains:
 * reorder buffers, open buckets (each with a histogram), histograms per segment and class, and
 * the timeline (a few counters per bucket, which does grow with run length by design).
 */
import { describe, expect, it } from 'vitest';
import type { PhaseRecord } from '../common/sample.js';
import { foldStream } from '../testing/fold-stream.js';
import { type SyntheticStreamOptions, syntheticSamples } from '../testing/synthetic-samples.js';
import type { CellFoldStats } from './fold.js';

const T0 = Date.UTC(2030, 0, 1);
const SAMPLERS = ['web:reused', 'web:new', 'api:reused', 'api:new'];
const RATE = 2000; // per sampler: 8000 req/s in all
const TIMEOUT_MS = 1000;
const MAX_SLACK_MS = 1000;
const BUCKET_MS = 100;
const TOTAL = 2_000_000;
const DURATION_MS = (TOTAL / (RATE * SAMPLERS.length)) * 1000; // 250 s

describe('CellFold memory', () => {
  it('folds 2 million samples with bounded buffers, buckets and histograms', () => {
    const phases: PhaseRecord[] = [
      { name: 'baseline', startedAt: T0, endedAt: T0 + 50_000, status: 'passed' },
      { name: 'upgrade', startedAt: T0 + 50_000, endedAt: T0 + 150_000, status: 'passed' },
      { name: 'settle', startedAt: T0 + 150_000, endedAt: T0 + DURATION_MS + 5000, status: 'passed' },
    ];
    const stream: SyntheticStreamOptions = {
      seed: 42,
      samplers: SAMPLERS,
      ratePerSampler: RATE,
      t0: T0,
      durationMs: DURATION_MS,
      timeoutMs: TIMEOUT_MS,
      timeoutLagMs: 30,
      // Hangs (every request times out, completing a second after later ones), refusals and 503s.
      outages: [
        { from: T0 + 60_000, to: T0 + 64_000, outcome: 'timeout' },
        { from: T0 + 90_000, to: T0 + 90_500, outcome: 'refused', samplers: ['web:new', 'api:new'] },
        { from: T0 + 120_000, to: T0 + 121_000, outcome: 'http_5xx' },
        { from: T0 + 200_000, to: T0 + 230_000, outcome: 'timeout', samplers: ['api:reused'] },
      ],
      isolatedFailureRate: 0.01,
      slowFraction: 0.05,
    };
    let worst: CellFoldStats | undefined;
    let checked = 0;
    const folded = foldStream(
      syntheticSamples(stream),
      phases,
      { timeoutMs: TIMEOUT_MS, bucketMs: BUCKET_MS, maxReorderSlackMs: MAX_SLACK_MS, startedAt: T0 },
      (_s, fold) => {
        if (++checked % 10_000 !== 0) return;
        const st = fold.stats();
        if (!worst || st.bufferedSamples > worst.bufferedSamples) worst = st;
      },
    );
    expect(folded.total).toBe(TOTAL);
    expect(folded.lateSamples).toBe(0);
    expect(worst).toBeDefined();

    // A sample waits until the watermark (max end − timeout − slack) passes its start; the newest
    // start is at most the newest end, so a sampler holds at most rate × (timeout + slack + sweep step).
    const perSampler = Math.ceil((RATE * (TIMEOUT_MS + MAX_SLACK_MS + 10)) / 1000) + 1;
    const bound = perSampler * SAMPLERS.length;
    expect(worst!.maxBufferedSamples).toBeLessThanOrEqual(bound);
    // Buckets stay open (with a latency histogram) only until the watermark passes their end.
    expect(worst!.maxOpenBuckets).toBeLessThanOrEqual(Math.ceil((TIMEOUT_MS + MAX_SLACK_MS) / BUCKET_MS) + 2);
    // One histogram per (segment, endpoint class): 3 phases, their gaps, 2 classes.
    expect(worst!.classHistograms).toBeLessThanOrEqual(worst!.segments * 2);
    expect(worst!.segments).toBeLessThanOrEqual(7);
    // The buffer did not grow with the run: the worst was far below the total, and it settled.
    expect(worst!.maxBufferedSamples).toBeLessThan(TOTAL / 50);
    // The timeline is the one thing proportional to run length: one record per bucket.
    expect(folded.timeline.buckets.length).toBe(Math.ceil(DURATION_MS / BUCKET_MS) + 1);
    expect(folded.timeline.buckets.reduce((n, b) => n + b.total, 0)).toBe(TOTAL);

    // The outages were seen: the 4 s hang on every sampler, the 30 s hang on one.
    const long = folded.downtime.filter((i) => i.seconds > 3);
    expect(long.map((i) => i.sampler).sort()).toEqual([
      'api:new',
      'api:reused',
      'api:reused',
      'web:new',
      'web:reused',
    ]);
  }, 120_000);
});
