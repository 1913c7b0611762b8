import type { CellRecord } from '../common/run-record.js';
import type { ProgressSink } from '../run/progress.js';
import { describeCellResult } from './format.js';

/** One line per event, for CI logs and pipes. */
export function plainProgress(write: (line: string) => void, now: () => number): ProgressSink {
  let t0 = now();
  const stamp = () => `[${((now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    runStarted({ runId, runDir, cellIds, concurrency }) {
      t0 = now();
      write(`run ${runId}: ${cellIds.length} cell(s), concurrency ${concurrency}, reports in ${runDir}`);
    },
    cellStarted(cellId) {
      write(`${stamp()} ${cellId}: started`);
    },
    phase(cellId, phase, state) {
      if (state === 'started') write(`${stamp()} ${cellId}: ${phase}…`);
      else if (state !== 'passed') write(`${stamp()} ${cellId}: ${phase} ${state}`);
    },
    cellFinished(cell: CellRecord) {
      write(`${stamp()} ${cell.id}: ${describeCellResult(cell)}`);
    },
    async runFinished() {},
  };
}
