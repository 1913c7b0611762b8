import { Listr, type ListrTaskWrapper } from 'listr2';
import type { CellRecord } from '../common/run-record.js';
import type { ProgressSink } from '../run/progress.js';
import { describeCellResult } from './format.js';

interface Slot {
  task?: ListrTaskWrapper<unknown, never, never>;
  done: (record: CellRecord) => void;
  finished: Promise<CellRecord>;
}

/** A live view on a terminal (listr2): one line per cell with its current phase. The executor schedules; this only shows. */
export function liveProgress(): ProgressSink {
  const slots = new Map<string, Slot>();
  let listr: Promise<unknown> | undefined;
  return {
    runStarted({ runId, cellIds, concurrency }) {
      for (const id of cellIds) {
        let done!: (record: CellRecord) => void;
        const finished = new Promise<CellRecord>((resolve) => {
          done = resolve;
        });
        slots.set(id, { done, finished });
      }
      const tasks = cellIds.map((id) => ({
        title: `${id}: queued`,
        task: async (_: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const slot = slots.get(id)!;
          slot.task = task;
          const record = await slot.finished;
          task.title = `${id}: ${describeCellResult(record)}`;
          if (!record.matchedExpectation) throw new Error(task.title);
        },
      }));
      listr = new Listr(tasks, {
        concurrent: true,
        exitOnError: false,
        // The CLI owns SIGINT: it tears down and exits 130. listr2's own handler would exit(127) at once.
        registerSignalListeners: false,
      })
        .run()
        .catch(() => undefined);
      void runId;
      void concurrency;
    },
    cellStarted(cellId) {
      const task = slots.get(cellId)?.task;
      if (task) task.title = `${cellId}: started`;
    },
    phase(cellId, phase, state) {
      const task = slots.get(cellId)?.task;
      if (task && state === 'started') task.title = `${cellId}: ${phase}…`;
    },
    cellFinished(cell) {
      slots.get(cell.id)?.done(cell);
    },
    async runFinished() {
      await listr;
    },
  };
}
