import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/synthetic-samples.js';
import { BucketHistogram } from './bucket-histogram.js';

function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

describe('BucketHistogram', () => {
  it('is exact below 256 and within 1/128 above, never below the true percentile', () => {
    const r = seededRandom(5);
    const values = Array.from({ length: 20_000 }, () => Math.floor(r() ** 4 * 30_000_000));
    const h = new BucketHistogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const want = exact(sorted, p);
      const got = h.valueAtPercentile(p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want < 256 ? want : want * (1 + 1 / 128));
    }
    expect(h.totalCount).toBe(20_000);
  });

  it('records small values exactly, clamps out-of-range ones, and resets', () => {
    const h = new BucketHistogram();
    for (const v of [3, 3, 7, 200]) h.record(v);
    expect(h.valueAtPercentile(50)).toBe(3);
    expect(h.valueAtPercentile(75)).toBe(7);
    expect(h.valueAtPercentile(100)).toBe(200);
    h.record(-5);
    h.record(2 ** 40);
    expect(h.valueAtPercentile(0)).toBe(0);
    expect(h.valueAtPercentile(100)).toBe(2 ** 31 - 1);
    h.reset();
    expect(h.totalCount).toBe(0);
    expect(h.valueAtPercentile(50)).toBe(0);
    h.record(1000);
    expect(h.valueAtPercentile(50)).toBeGreaterThanOrEqual(1000);
    expect(h.valueAtPercentile(50)).toBeLessThan(1008);
  });
});
