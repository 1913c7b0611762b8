/**
 * The traffic timeline of a built cell: 100 ms buckets over its load phases whose counts add up to
 * the cell's requests and failures, so charts and reports have something realistic to draw.
 * Deterministic: latencies wiggle by a fixed formula, failures sit inside the downtime intervals
 * (or spread over the error budget's first..last failure when there was no downtime).
 */

import type { CellTimeline, DowntimeInterval, TimelineBucket } from '../common/run-record.js';
import type { FailureClass, Outcome, PhaseRecord } from '../common/sample.js';

export const BUILT_BUCKET_MS = 100;

export interface TimelineInit {
  /** Phases that ran under load, in order and back to back. */
  loadPhases: PhaseRecord[];
  requestsOf: (phase: PhaseRecord) => number;
  failures: Partial<Record<FailureClass, number>>;
  downtime: DowntimeInterval[];
  /** Where failures go when there was no downtime. */
  failureSpan: { startedAt: number; endedAt: number };
  from: string;
  to: string;
  /** Share of `to` ramps from 0 to 1 over this window; null keeps every response on `from`. */
  mixedWindow: { startedAt: number; endedAt: number } | null;
  sloTarget: number;
}

/** Undefined when nothing ran under load (the cell then has no timeline, like a real one). */
export function buildTimeline(init: TimelineInit): CellTimeline | undefined {
  const first = init.loadPhases[0];
  if (!first) return undefined;
  const totals = init.loadPhases.flatMap((phase) => spreadEvenly(init.requestsOf(phase), bucketsIn(phase)));
  if (totals.every((n) => n === 0)) return undefined;
  const origin = first.startedAt;
  const startOf = (k: number) => origin + k * BUILT_BUCKET_MS;
  const failed = placeFailures(init, totals, startOf);
  const buckets = totals.map((total, k): TimelineBucket => {
    const failures = failed[k] ?? {};
    const failedCount = sum(Object.values(failures));
    const ok = total - failedCount;
    const byOutcome: Partial<Record<Outcome, number>> = { ...(ok > 0 ? { ok } : {}), ...failures };
    const slow = (failures.timeout ?? 0) + (failures.reset ?? 0) > 0;
    const api = Math.round(total * 0.7);
    const apiFailed = Math.min(api, failedCount);
    return {
      t: startOf(k),
      total,
      failed: failedCount,
      byOutcome,
      byVersion: versions(init, ok, startOf(k)),
      p50Ms: ok > 0 ? twoDigits(6 + 2 * Math.sin(k * 0.37) + (k % 7) * 0.3) : null,
      p99Ms: ok > 0 ? twoDigits((30 + 15 * Math.abs(Math.sin(k * 0.11))) * (slow ? 20 : 1)) : null,
      ...(total > 0
        ? {
            byClass: {
              api: { total: api, failed: apiFailed },
              web: { total: total - api, failed: failedCount - apiFailed },
            },
            burnRate: Number((failedCount / total / (1 - init.sloTarget)).toFixed(3)),
          }
        : {}),
    };
  });
  return { bucketMs: BUILT_BUCKET_MS, startedAt: origin, buckets };
}

function bucketsIn(phase: PhaseRecord): number {
  return Math.round((phase.endedAt - phase.startedAt) / BUILT_BUCKET_MS);
}

/** n split over `count` buckets, differing by at most one. */
function spreadEvenly(n: number, count: number): number[] {
  return Array.from(
    { length: count },
    (_, j) => Math.floor(((j + 1) * n) / count) - Math.floor((j * n) / count),
  );
}

/** Failures per bucket: spread evenly over the candidate buckets, never more than a bucket's requests. */
function placeFailures(
  init: TimelineInit,
  totals: number[],
  startOf: (k: number) => number,
): Array<Partial<Record<FailureClass, number>>> {
  const spans =
    init.downtime.length > 0
      ? init.downtime.map((d) => ({ startedAt: d.startedAt, endedAt: d.endedAt }))
      : [init.failureSpan];
  const candidates = totals
    .map((_, k) => k)
    .filter((k) => spans.some((s) => startOf(k) < s.endedAt && startOf(k) + BUILT_BUCKET_MS > s.startedAt));
  const classes = (Object.entries(init.failures) as Array<[FailureClass, number]>).flatMap(([c, n]) =>
    Array.from({ length: n }, () => c),
  );
  const placed = totals.map((): Partial<Record<FailureClass, number>> => ({}));
  const used = totals.map(() => 0);
  classes.forEach((failureClass, i) => {
    let k = candidates[Math.floor((i * candidates.length) / classes.length)] ?? 0;
    while (k < totals.length && used[k]! >= totals[k]!) k++;
    if (k >= totals.length) throw new Error('more failures than requests after the failure span');
    used[k]! += 1;
    const bucket = placed[k]!;
    bucket[failureClass] = (bucket[failureClass] ?? 0) + 1;
  });
  return placed;
}

function versions(init: TimelineInit, ok: number, t: number): Record<string, number> {
  const window = init.mixedWindow;
  let share = 0;
  if (window) {
    const progress = (t - window.startedAt) / (window.endedAt - window.startedAt);
    share = Math.min(1, Math.max(0, progress));
  }
  const onTo = Math.round(ok * share);
  const counts: Record<string, number> = {};
  if (ok - onTo > 0) counts[init.from] = ok - onTo;
  if (onTo > 0) counts[init.to] = (counts[init.to] ?? 0) + onTo;
  return counts;
}

function twoDigits(n: number): number {
  return Number(n.toPrecision(2));
}

function sum(values: Array<number | undefined>): number {
  return values.reduce<number>((total, v) => total + (v ?? 0), 0);
}
