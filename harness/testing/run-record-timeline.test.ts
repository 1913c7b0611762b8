import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../common/run-record.js';
import { OUTCOMES } from '../common/sample.js';
import {
  downtimeFailedCell,
  erroredCell,
  inconclusiveCell,
  passedCell,
  realisticRunRecord,
  rolledBackCell,
} from './run-record-builder.js';

function timelineOf(cell: CellRecord) {
  if (!cell.timeline) throw new Error(`${cell.id} has no timeline`);
  return cell.timeline;
}

describe('built timelines', () => {
  it.each([
    ['passed', passedCell],
    ['downtime', downtimeFailedCell],
    ['rolled back', rolledBackCell],
    ['inconclusive', inconclusiveCell],
  ])('add up to the %s cell requests, by outcome', (_kind, build) => {
    const cell = build();
    const { buckets, bucketMs } = timelineOf(cell);
    expect(bucketMs).toBe(100);
    expect(buckets.reduce((s, b) => s + b.total, 0)).toBe(cell.requests.total);
    expect(buckets.reduce((s, b) => s + b.failed, 0)).toBe(cell.requests.failed);
    for (const outcome of OUTCOMES) {
      const n = buckets.reduce((s, b) => s + (b.byOutcome[outcome] ?? 0), 0);
      expect(n, outcome).toBe(cell.requests.byOutcome[outcome] ?? 0);
    }
    for (const [k, b] of buckets.entries()) {
      expect(b.t).toBe(timelineOf(cell).startedAt + k * bucketMs);
      expect(b.failed).toBeLessThanOrEqual(b.total);
      const ok = b.byOutcome.ok ?? 0;
      expect(Object.values(b.byVersion).reduce((s, n) => s + n, 0)).toBe(ok);
      expect(b.p50Ms === null).toBe(ok === 0);
    }
  });

  it('puts the failures of a downtime cell inside its downtime', () => {
    const cell = downtimeFailedCell();
    const start = Math.min(...cell.downtime.map((d) => d.startedAt));
    const end = Math.max(...cell.downtime.map((d) => d.endedAt));
    const failing = timelineOf(cell).buckets.filter((b) => b.failed > 0);
    expect(failing.length).toBeGreaterThan(10);
    for (const b of failing) {
      expect(b.t + 100).toBeGreaterThan(start);
      expect(b.t).toBeLessThan(end);
    }
  });

  it('moves traffic from the old version to the new one, unless rolled back', () => {
    const versionsSeen = (cell: CellRecord) =>
      new Set(timelineOf(cell).buckets.flatMap((b) => Object.keys(b.byVersion)));
    const passed = passedCell();
    const buckets = timelineOf(passed).buckets;
    expect(Object.keys(buckets[0]?.byVersion ?? {})).toEqual(['1.0.0']);
    expect(Object.keys(buckets.at(-1)?.byVersion ?? {})).toEqual(['1.1.0']);
    expect(versionsSeen(rolledBackCell())).toEqual(new Set(['1.0.0']));
  });

  it('is absent where nothing was measured and the same on every build', () => {
    expect(erroredCell().timeline).toBeUndefined();
    expect(realisticRunRecord()).toEqual(realisticRunRecord());
    expect(realisticRunRecord().cells.filter((c) => c.timeline).length).toBe(4);
  });
});
