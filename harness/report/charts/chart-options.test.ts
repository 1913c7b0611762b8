import { describe, expect, it } from 'vitest';
import type { CellRecord, TimelineBucket } from '../../common/run-record.js';
import { downtimeFailedCell, passedCell } from '../../testing/run-record-builder.js';
import { type ChartData, chartData } from './chart-data.js';
import { DOWNTIME_NOTE, latencyOption, rateOption, versionShareOption } from './chart-options.js';

function dataOf(cell: CellRecord): ChartData {
  const data = chartData(cell);
  if (!data) throw new Error('no chart data');
  return data;
}

function subtitle(option: Record<string, unknown>): string {
  return String((option.title as { subtext?: unknown }).subtext);
}

/** A cell whose timeline has `count` buckets of `bucketMs`. */
function cellWithBuckets(bucketMs: number, count: number): CellRecord {
  const cell = passedCell();
  const buckets: TimelineBucket[] = Array.from({ length: count }, (_, k) => ({
    t: cell.startedAt + k * bucketMs,
    total: 10,
    failed: 0,
    byOutcome: { ok: 10 },
    byVersion: { '1.0.0': 10 },
    p50Ms: 5,
    p99Ms: 20,
  }));
  return { ...cell, timeline: { bucketMs, startedAt: cell.startedAt, buckets } };
}

describe('chart options', () => {
  it("names the record's bucket width where latency buckets are merged", () => {
    expect(subtitle(latencyOption(dataOf(cellWithBuckets(250, 1_000)), 'c'))).toBe(
      'c (from intended start, worst 250 ms bucket per 500 ms)',
    );
    expect(subtitle(latencyOption(dataOf(cellWithBuckets(250, 100)), 'c'))).toBe('c (from intended start)');
  });

  it('says in every chart with downtime that the red band is any sampler in any phase', () => {
    const down = dataOf(downtimeFailedCell());
    for (const option of [rateOption(down, 'c'), latencyOption(down, 'c'), versionShareOption(down, 'c')]) {
      expect(subtitle(option).split('\n')).toEqual([expect.stringMatching(/^c/), DOWNTIME_NOTE]);
    }
    expect(DOWNTIME_NOTE).toMatch(/any sampler in any phase, rollback included/);
    expect(DOWNTIME_NOTE).toMatch(/worst sampler from upgrade start to settle end/);
    expect(subtitle(rateOption(dataOf(passedCell()), 'c'))).toBe('c');
  });
});
