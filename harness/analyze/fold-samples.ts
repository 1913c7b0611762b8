import type { PhaseRecord, Sample } from '../common/sample.js';
import { CellFold, type FoldedCell } from './fold.js';
import { phaseAt } from './phases.js';

/**
 * Folds a finished array of samples. Every phase start and end becomes a segment boundary, named
 * by the phase `phaseAt` gives there, so each segment lies wholly inside one phase (or none) and
 * the folded analysis equals the array-based one exactly. The timeout is unbounded: nothing is
 * released before finish, so any order of the array is put right.
 */
export function foldSamples(
  samples: Iterable<Sample>,
  phases: readonly PhaseRecord[],
  bucketMs?: number,
): FoldedCell {
  const boundaries = [...new Set(phases.flatMap((p) => [p.startedAt, p.endedAt]))].sort((a, b) => a - b);
  const fold = new CellFold({
    timeoutMs: Number.POSITIVE_INFINITY,
    ...(bucketMs === undefined ? {} : { bucketMs }),
    ...(boundaries.length > 0 ? { startedAt: boundaries[0] as number } : {}),
  });
  for (const at of boundaries) {
    const phase = phaseAt(phases, at);
    if (phase) fold.markPhase(phase.name, at);
    else fold.endPhase(at);
  }
  for (const s of samples) fold.add(s);
  return fold.finish();
}
