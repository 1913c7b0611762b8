import type { DowntimeInterval } from '../common/run-record.js';
import type { FailureClass, Sample } from '../common/sample.js';

/** Shortest run of consecutive failed samples that counts as downtime (a lone failure is an error). */
export const MIN_FAILED_SAMPLES = 2;

/**
 * Downtime intervals per sampler. A sampler's samples are ordered by start; a maximal run of at
 * least two consecutive failed samples is an interval from the first failed sample's start to the
 * start of the next ok sample of that sampler, or, when none follows, to the last failed sample's
 * end. Interleaved failures (ok in between) are never downtime. Sorted by start, then sampler.
 */
export function computeDowntime(samples: readonly Sample[]): DowntimeInterval[] {
  const bySampler = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = bySampler.get(s.sampler);
    if (list) list.push(s);
    else bySampler.set(s.sampler, [s]);
  }
  const intervals: DowntimeInterval[] = [];
  for (const [sampler, list] of bySampler) {
    const ordered = [...list].sort((a, b) => a.startMs - b.startMs || a.intendedStartMs - b.intendedStartMs);
    let run: Sample[] = [];
    for (const s of ordered) {
      if (s.outcome !== 'ok') {
        run.push(s);
        continue;
      }
      if (run.length >= MIN_FAILED_SAMPLES) intervals.push(interval(sampler, run, s.startMs));
      run = [];
    }
    if (run.length >= MIN_FAILED_SAMPLES) {
      intervals.push(interval(sampler, run, Math.max(...run.map((r) => r.endMs))));
    }
  }
  return intervals.sort((a, b) => a.startedAt - b.startedAt || a.sampler.localeCompare(b.sampler));
}

function interval(sampler: string, run: Sample[], endedAt: number): DowntimeInterval {
  const startedAt = (run[0] as Sample).startMs;
  const failureClasses: Partial<Record<FailureClass, number>> = {};
  for (const s of run) {
    const c = s.outcome as FailureClass;
    failureClasses[c] = (failureClasses[c] ?? 0) + 1;
  }
  return {
    sampler,
    startedAt,
    endedAt,
    seconds: Math.max(0, endedAt - startedAt) / 1000,
    failedSamples: run.length,
    failureClasses,
  };
}

/** Summed downtime seconds of each sampler. */
export function downtimeBySampler(intervals: readonly DowntimeInterval[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of intervals) out.set(i.sampler, (out.get(i.sampler) ?? 0) + i.seconds);
  return out;
}

/**
 * The cell's downtime: the largest per-sampler sum. Samplers watch the same outage in parallel
 * (reused and new connections, several endpoints), so adding them up would count it twice.
 */
export function downtimeSeconds(intervals: readonly DowntimeInterval[]): number {
  let worst = 0;
  for (const s of downtimeBySampler(intervals).values()) worst = Math.max(worst, s);
  return worst;
}

/** The sampler with the largest summed downtime (first by name on ties), or null without downtime. */
export function worstSampler(intervals: readonly DowntimeInterval[]): string | null {
  let best: string | null = null;
  let bestSeconds = -1;
  const sums = [...downtimeBySampler(intervals).entries()].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [sampler, s] of sums) {
    if (s > bestSeconds) {
      best = sampler;
      bestSeconds = s;
    }
  }
  return best;
}

/**
 * The parts of the intervals that lie within [start, end): an outage that began just before the
 * window (a request in flight when the upgrade began) or outlasts it counts for the time it
 * overlaps. `failedSamples` and `failureClasses` stay those of the whole interval.
 */
export function clipDowntime(
  intervals: readonly DowntimeInterval[],
  start: number,
  end: number,
): DowntimeInterval[] {
  const clipped: DowntimeInterval[] = [];
  for (const i of intervals) {
    const from = Math.max(i.startedAt, start);
    const to = Math.min(i.endedAt, end);
    if (to <= from) continue;
    clipped.push(
      from === i.startedAt && to === i.endedAt
        ? i
        : { ...i, startedAt: from, endedAt: to, seconds: (to - from) / 1000 },
    );
  }
  return clipped;
}
