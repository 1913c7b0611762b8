/**
 * Compares what the analysis found in a ground-truth run with what the scripted server did. Each
 * check returns its mismatches as sentences with the numbers (empty: it matched), so a test can
 * `expect(problems).toEqual([])` and a failure says everything at once. The analysis is run both
 * ways the harness runs it: the array functions (computeDowntime and friends, via measureSamples)
 * and the streaming CellFold fed in completion order with phases marked as they happen, as the
 * cell runner feeds it (foldStream).
 */
import type { CellMeasures, MeasureContext } from '../../analyze/cell-measures.js';
import type { FoldedCell } from '../../analyze/fold.js';
import { measureFolded } from '../../analyze/measure-folded.js';
import { measureSamples } from '../../analyze/measure-samples.js';
import type { DowntimeInterval } from '../../common/run-record.js';
import type { PhaseRecord, Sample } from '../../common/sample.js';
import { foldStream } from '../../testing/fold-stream.js';
import { GAP_MS, type Measured, type Run, type Truth, truth } from './ground-truth-run.js';

export const SAMPLERS = ['home:reused', 'home:new'] as const;
/** Downtime within this distance of a window is that window's (windows are GAP_MS apart). */
const REACH_MS = GAP_MS / 2;

const fmt = (ms: number): string => (ms >= 0 ? '+' : '') + ms.toFixed(1);

/**
 * baseline until the first window of the scripted replica (the first with a script), upgrade
 * through its last window, settle until the load stopped.
 */
export function runPhases(run: Run): PhaseRecord[] {
  const replica = Math.max(
    0,
    run.servers.findIndex((s) => s.transitions.length > 0),
  );
  const windows = run.servers[replica]?.transitions.filter((t) => t.edge === 'start').length ?? 0;
  const first = truth(run, 0, replica);
  const last = truth(run, Math.max(0, windows - 1), replica);
  const startedAt = Math.min(...run.summaries.map((s) => s.startedAt));
  const stoppedAt =
    Math.max(...run.samples.map((s) => s.endMs), ...run.summaries.map((s) => s.stoppedAt)) + 1;
  return [
    { name: 'baseline', startedAt, endedAt: first.start, status: 'passed' },
    { name: 'upgrade', startedAt: first.start, endedAt: last.end, status: 'passed' },
    { name: 'settle', startedAt: last.end, endedAt: stoppedAt, status: 'passed' },
  ];
}

export interface Analyzed {
  phases: PhaseRecord[];
  folded: FoldedCell;
  /** Through the CellFold: what the cell runner reports. */
  streamed: CellMeasures;
  /** Through the array functions. */
  reference: CellMeasures;
}

const analyzed = new WeakMap<Run, Analyzed>();

/** The run analyzed both ways (computed once per run). */
export function analyze(run: Run, from = '1.0.0', to = '2.0.0'): Analyzed {
  const had = analyzed.get(run);
  if (had) return had;
  const phases = runPhases(run);
  const ctx: MeasureContext = { phases, successRatio: 0.999, from, to };
  const timeoutMs = Math.max(...run.profiles.map((p) => p.timeoutMs));
  const folded = foldStream(run.samples, phases, { timeoutMs });
  const result = {
    phases,
    folded,
    streamed: measureFolded(folded, ctx),
    reference: measureSamples(run.samples, ctx),
  };
  analyzed.set(run, result);
  return result;
}

/** The sampler's outcomes near the window, for messages: `-3.1/-2.0 ok, 1.2/1.5 refused, ...` (ms from start). */
export function describeAround(samples: readonly Sample[], sampler: string, t: Truth): string {
  const near = (x: number) => (x > t.start - 20 && x < t.start + 20) || (x > t.end - 20 && x < t.end + 20);
  return samples
    .filter((s) => s.sampler === sampler && near(s.startMs))
    .sort((a, b) => a.startMs - b.startMs)
    .map((s) => `${fmt(s.startMs - t.start)}/${fmt(s.endMs - t.start)} ${s.outcome}`)
    .join(', ');
}

/**
 * Each sampler has exactly one interval near the window, whose length is within the tolerance of
 * the truth's and whose edges are within the tolerance plus the clock-offset uncertainty (edges
 * compare the two processes' clocks; lengths do not).
 */
export function downtimeProblems(intervals: readonly DowntimeInterval[], m: Measured, how: string): string[] {
  const problems: string[] = [];
  const t = m.truth;
  const edgeTolerance = m.toleranceMs + m.run.clockUncertaintyMs;
  for (const sampler of SAMPLERS) {
    const own = intervals.filter(
      (i) => i.sampler === sampler && i.endedAt > t.start - REACH_MS && i.startedAt < t.end + REACH_MS,
    );
    const [i] = own;
    if (own.length !== 1 || !i) {
      problems.push(
        `${how} ${sampler}: ${own.length} downtime intervals, want 1 (${m.note}); ` +
          describeAround(m.run.samples, sampler, t),
      );
      continue;
    }
    // signed errors, measured − truth
    const start = i.startedAt - t.start;
    const end = i.endedAt - t.end;
    const length = end - start;
    const wrong: string[] = [];
    if (Math.abs(length) > m.toleranceMs) wrong.push(`length ${fmt(length)} ms`);
    if (Math.abs(start) > edgeTolerance) wrong.push(`start ${fmt(start)} ms`);
    if (Math.abs(end) > edgeTolerance) wrong.push(`end ${fmt(end)} ms`);
    if (wrong.length > 0)
      problems.push(
        `${how} ${sampler}: ${wrong.join(', ')} off the truth of ${(t.end - t.start).toFixed(1)} ms ` +
          `(${m.note}); ${describeAround(m.run.samples, sampler, t)}`,
      );
  }
  return problems;
}

/** Intervals of the run that lie near none of its windows (downtime the script never caused). */
export function strayDowntime(intervals: readonly DowntimeInterval[], run: Run): string[] {
  const windows = (run.servers[0]?.transitions ?? []).filter((x) => x.edge === 'start').map((x) => x.window);
  const truths = windows.map((w) => truth(run, w));
  return intervals
    .filter((i) => !truths.some((t) => i.endedAt > t.start - REACH_MS && i.startedAt < t.end + REACH_MS))
    .map(
      (i) =>
        `${i.sampler}: downtime at ${fmt(i.startedAt - run.t0)}..${fmt(i.endedAt - run.t0)} ms of the run`,
    );
}

/** The checks of one window, both ways: the array functions and the CellFold. */
export function windowProblems(m: Measured): string[] {
  const { folded, streamed, reference } = analyze(m.run);
  return [
    ...downtimeProblems(reference.downtime, m, 'computeDowntime'),
    ...downtimeProblems(folded.downtime, m, 'CellFold'),
    ...(streamed.lateSamples > 0 ? [`CellFold left ${streamed.lateSamples} late samples out`] : []),
  ];
}

/** The distinct runs of some measured windows (a re-run window has its own). */
export function runsOf(measured: readonly Measured[]): Run[] {
  return [...new Set(measured.map((m) => m.run))];
}
