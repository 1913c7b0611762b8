import { build, type Histogram } from 'hdr-histogram-js';
import type { Sample } from '../harness/common/sample.js';
import type { CellFoldLike } from './fold-loader.js';

/** Takes every sample a generator yields, as the harness would (fold) or as cheaply as is fair. */
export interface SampleConsumer {
  readonly name: 'CellFold' | 'counter';
  add(sample: Sample): void;
  finish(): void;
}

/** The harness' own consumer: folds samples into time buckets and histograms as they arrive. */
export function foldConsumer(fold: CellFoldLike, t0: number): SampleConsumer {
  fold.markPhase('baseline', t0);
  return {
    name: 'CellFold',
    add: (s) => fold.add(s),
    finish: () => {
      fold.finish();
    },
  };
}

/**
 * Without CellFold: counts outcomes and records each latency in an HDR histogram, about what
 * autocannon does per response, so "recording every sample" costs both sides alike.
 */
export function counterConsumer(): SampleConsumer {
  const latency: Histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  const outcomes = new Map<string, number>();
  return {
    name: 'counter',
    add: (s) => {
      outcomes.set(s.outcome, (outcomes.get(s.outcome) ?? 0) + 1);
      latency.recordValue(Math.max(0, Math.round((s.endMs - s.intendedStartMs) * 1000)));
    },
    finish: () => latency.destroy(),
  };
}
