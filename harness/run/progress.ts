import type { CellRecord } from '../common/run-record.js';
import type { PhaseName, PhaseStatus } from '../common/sample.js';

/** What a progress view hears about a run. The CLI picks a view (live on a terminal, plain lines in CI). */
export interface ProgressSink {
  runStarted(info: { runId: string; runDir: string; cellIds: string[]; concurrency: number }): void;
  cellStarted(cellId: string): void;
  phase(cellId: string, phase: PhaseName, state: 'started' | PhaseStatus): void;
  cellFinished(cell: CellRecord): void;
  runFinished(): Promise<void>;
}

export const silentProgress: ProgressSink = {
  runStarted: () => undefined,
  cellStarted: () => undefined,
  phase: () => undefined,
  cellFinished: () => undefined,
  runFinished: async () => undefined,
};
