import type { CellRecord } from '../common/run-record.js';
import type { Sample } from '../common/sample.js';

export type VersionsSummary = CellRecord['versions'];

/** Key in `servedBy` for ok responses that carried no version. */
export const UNKNOWN_VERSION = 'unknown';

/**
 * Who served the ok responses (every version seen, the stops of a multi-hop path too), and the
 * mixed-version window: from the first response of `to` to the last response of an older version
 * after it (by response end time), or null if none answered after `to` did. An older version is
 * any known version but `to`: `from`, or on a multi-hop path the stop before `to`. Only responses
 * that end before `until` (e.g. the rollback's start, after which `from` answers again by design)
 * count for the window.
 */
export function computeVersions(
  samples: readonly Sample[],
  from: string,
  to: string,
  until: number = Number.POSITIVE_INFINITY,
): VersionsSummary {
  const servedBy: Record<string, number> = {};
  let firstTo = Number.POSITIVE_INFINITY;
  for (const s of samples) {
    if (s.outcome !== 'ok') continue;
    const v = s.version ?? UNKNOWN_VERSION;
    servedBy[v] = (servedBy[v] ?? 0) + 1;
    if (s.version === to && s.endMs < until) firstTo = Math.min(firstTo, s.endMs);
  }
  let lastFrom = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    const older = s.version !== undefined && s.version !== to;
    if (s.outcome === 'ok' && older && s.endMs > firstTo && s.endMs < until) {
      lastFrom = Math.max(lastFrom, s.endMs);
    }
  }
  const mixedWindow =
    from !== to && Number.isFinite(firstTo) && Number.isFinite(lastFrom)
      ? { startedAt: firstTo, endedAt: lastFrom, seconds: (lastFrom - firstTo) / 1000 }
      : null;
  return { servedBy, mixedWindow };
}
