import { CellFold, type CellFoldOptions, type FoldedCell } from '../analyze/fold.js';
import type { PhaseName, PhaseRecord, Sample } from '../common/sample.js';

/**
 * Feeds samples that arrive in completion order to a CellFold the way the cell runner does: a
 * phase is marked when the clock reaches its start (and its end), so every mark at or before a
 * sample's completion is made before the sample is added.
 */
export function foldStream(
  samples: Iterable<Sample>,
  phases: readonly PhaseRecord[],
  options: CellFoldOptions,
  onSample?: (s: Sample, fold: CellFold) => void,
): FoldedCell {
  const fold = new CellFold(options);
  const marks: Array<{ at: number; name: PhaseName | null }> = [];
  for (const p of phases) marks.push({ at: p.startedAt, name: p.name }, { at: p.endedAt, name: null });
  let next = 0;
  const markUntil = (t: number) => {
    for (; next < marks.length && (marks[next]?.at ?? 0) <= t; next++) {
      const m = marks[next]!;
      if (m.name) fold.markPhase(m.name, m.at);
      else fold.endPhase(m.at);
    }
  };
  for (const s of samples) {
    markUntil(s.endMs);
    fold.add(s);
    onSample?.(s, fold);
  }
  markUntil(Number.POSITIVE_INFINITY);
  return fold.finish();
}
