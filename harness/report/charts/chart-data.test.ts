import { describe, expect, it } from 'vitest';
import type { CellRecord, DowntimeInterval, TimelineBucket } from '../../common/run-record.js';
import { passedCell } from '../../testing/run-record-builder.js';
import { chartData, unionOf } from './chart-data.js';

const T0 = Date.UTC(2026, 0, 1, 2, 0, 0);

function bucket(k: number, init: Partial<TimelineBucket> = {}): TimelineBucket {
  return {
    t: T0 + 2_000 + k * 100,
    total: 10,
    failed: 0,
    byOutcome: { ok: 10 },
    byVersion: { '1.0.0': 10 },
    p50Ms: 5,
    p99Ms: 20,
    ...init,
  };
}

function cellWith(buckets: TimelineBucket[], downtime: DowntimeInterval[] = []): CellRecord {
  const cell = passedCell({ startedAt: T0 });
  return { ...cell, downtime, timeline: { bucketMs: 100, startedAt: T0, buckets } };
}

function interval(sampler: string, from: number, to: number): DowntimeInterval {
  return {
    sampler,
    startedAt: from,
    endedAt: to,
    seconds: (to - from) / 1000,
    failedSamples: 1,
    failureClasses: {},
  };
}

describe('chart data', () => {
  it('is null without a timeline or without buckets', () => {
    expect(chartData({ ...passedCell(), timeline: undefined })).toBeNull();
    expect(chartData(cellWith([]))).toBeNull();
  });

  it('turns counts per 100 ms bucket into req/s, seconds from the cell start, only outcomes seen', () => {
    const data = chartData(
      cellWith([
        bucket(0),
        bucket(1, { failed: 4, byOutcome: { ok: 6, refused: 4 }, byVersion: { '1.1.0': 6 }, p50Ms: null }),
      ]),
    );
    expect(data?.x).toEqual([2, 2.1]);
    expect(data?.fromSeconds).toBe(2);
    expect(data?.dataEndSeconds).toBe(2.2);
    expect(data?.toSeconds).toBe(3);
    expect(data?.rateByOutcome).toEqual([
      { outcome: 'ok', values: [100, 60] },
      { outcome: 'refused', values: [0, 40] },
    ]);
    expect(data?.p50Ms).toEqual([5, null]);
    expect(data?.versionShare).toEqual([
      { version: '1.0.0', values: [100, 0] },
      { version: '1.1.0', values: [0, 100] },
    ]);
  });

  it('merges long timelines into wider steps: exact rates, the worst latency', () => {
    const buckets = Array.from({ length: 10 }, (_, k) => bucket(k, { p99Ms: k === 3 ? 900 : 20 }));
    const data = chartData(cellWith(buckets), 5);
    expect(data?.stepMs).toBe(200);
    expect(data?.x).toEqual([2, 2.2, 2.4, 2.6, 2.8]);
    expect(data?.rateByOutcome[0]?.values).toEqual([100, 100, 100, 100, 100]);
    expect(data?.p99Ms).toEqual([20, 900, 20, 20, 20]);
  });

  it('divides the last, narrower merged step by its own width: a steady rate stays steady', () => {
    // 601 buckets into steps of 2: the last step holds one bucket.
    const buckets = Array.from({ length: 601 }, (_, k) => bucket(k, { total: 9, byOutcome: { ok: 9 } }));
    const data = chartData(cellWith(buckets));
    expect(data?.stepMs).toBe(200);
    expect(data?.bucketMs).toBe(100);
    const ok = data?.rateByOutcome.find((r) => r.outcome === 'ok')?.values ?? [];
    expect(ok).toHaveLength(301);
    expect(new Set(ok)).toEqual(new Set([90]));
  });

  it('keeps unknown versions last and shows no share where nothing was ok', () => {
    const data = chartData(
      cellWith([
        bucket(0, { byVersion: { unknown: 2, '1.0.0': 8 } }),
        bucket(1, { failed: 10, byOutcome: { http_5xx: 10 }, byVersion: {}, p50Ms: null, p99Ms: null }),
      ]),
    );
    expect(data?.versionShare.map((v) => v.version)).toEqual(['1.0.0', 'unknown']);
    expect(data?.versionShare[0]?.values).toEqual([80, null]);
  });

  it('clips phases and the union of downtime intervals to the axis', () => {
    const data = chartData(
      cellWith(
        [bucket(0), bucket(1)],
        [interval('a:new', T0 + 2_050, T0 + 2_100), interval('a:reused', T0 + 2_080, T0 + 9_000)],
      ),
    );
    expect(data?.downtime).toEqual([{ fromSeconds: 2.05, toSeconds: 3 }]);
    for (const phase of data?.phases ?? []) {
      expect(phase.fromSeconds).toBeGreaterThanOrEqual(2);
      expect(phase.toSeconds).toBeLessThanOrEqual(3);
    }
  });

  it('unites overlapping intervals of several samplers', () => {
    expect(unionOf([interval('b', 50, 70), interval('a', 0, 10), interval('c', 5, 20)])).toEqual([
      { startedAt: 0, endedAt: 20 },
      { startedAt: 50, endedAt: 70 },
    ]);
  });
});
