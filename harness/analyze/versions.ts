import type { CellRecord } from '../common/run-record.js';
import type { Sample } from '../common/sample.js';

export type VersionsSummary = CellRecord['versions'];

/** Key in `servedBy` for ok responses that carried no version. */
export const UNKNOWN_VERSION = 'unknown';

/**
 * Who served the ok responses, and the mixed-version window: from the first response of `to`
 * to the last response of `from` after it (by response end time), or null if `from` never
 * answered after `to` did. Only responses that end before `until` (e.g. the rollback's start,
 * after which `from` answers again by design) count for the window.
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
    if (s.outcome === 'ok' && s.version === from && s.endMs > firstTo && s.endMs < until) {
      lastFrom = Math.max(lastFrom, s.endMs);
    }
  }
  const mixedWindow =
    from !== to && Number.isFinite(firstTo) && Number.isFinite(lastFrom)
      ? { startedAt: firstTo, endedAt: lastFrom, seconds: (lastFrom - firstTo) / 1000 }
      : null;
  return { servedBy, mixedWindow };
}
