import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { exitCodeFor } from '../analyze/index.js';
import type { Clock } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import { makeDirs } from '../common/make-dirs.js';
import {
  type CellRecord,
  RUN_RECORD_SCHEMA_VERSION,
  type RunRecord,
  type RunShard,
} from '../common/run-record.js';
import type { CellPlan, LoadedPlan } from '../config/types.js';
import { createReporterRegistry, DEFAULT_REPORTERS, writeReports } from '../report/index.js';
import { runCell } from './cell-runner.js';
import { emptyCellRecord } from './empty-cell.js';
import { type ProgressSink, silentProgress } from './progress.js';
import type { Registries } from './registries.js';

export interface RunMatrixOptions {
  plan: LoadedPlan;
  /** The cells to run (the plan's, possibly filtered or sharded). */
  cells: CellPlan[];
  /** Reports root; the run writes to `<outDir>/<runId>/`. */
  outDir: string;
  runId?: string;
  concurrency: number;
  signal: AbortSignal;
  clock: Clock;
  registries: Registries;
  progress?: ProgressSink;
  tool: { name: string; version: string };
  /** Where the run happens (node version, os, cpus), as the CLI reads it. */
  host: RunRecord['host'];
  logLevel?: string;
  /** Reporters to write at the end (default: all). run.json is also kept current after every cell. */
  reporters?: readonly string[];
  /** The slice of the matrix `cells` is (`run --shard`), recorded in run.json. */
  shard?: RunShard;
}

export interface RunMatrixResult {
  record: RunRecord;
  runDir: string;
  /** The report files written. */
  files: string[];
  /**
   * Why reports could not be written, one line per failed reporter. The run's result stands: run.json
   * and the other reports are written, and `record.exitCode` is the run's, whatever failed here.
   */
  reportErrors: string[];
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs cells with at most `concurrency` at once. After each cell, run.json is rewritten, so a
 * crash or Ctrl-C still leaves the results of finished cells.
 */
export async function runMatrix(options: RunMatrixOptions): Promise<RunMatrixResult> {
  const { plan, clock, signal } = options;
  const progress = options.progress ?? silentProgress;
  const runId = options.runId ?? newRunId(new Date(clock.now()));
  const runDir = join(options.outDir, runId);
  await makeDirs(runDir, 'reports folder');
  const record: RunRecord = {
    schemaVersion: RUN_RECORD_SCHEMA_VERSION,
    runId,
    tool: options.tool,
    startedAt: clock.now(),
    endedAt: clock.now(),
    status: 'interrupted',
    exitCode: 130,
    matrix: { file: plan.matrixFile, name: plan.matrix.name },
    scenario: { file: plan.scenarioFile, name: plan.scenario.name },
    host: options.host,
    cells: [],
    ...(options.shard ? { shard: options.shard } : {}),
  };
  const finished = new Map<string, CellRecord>();
  const save = () => {
    record.cells = options.cells.flatMap((c) => finished.get(c.id) ?? []);
    record.endedAt = clock.now();
    return writeJsonAtomic(join(runDir, 'run.json'), record);
  };
  await save();
  progress.runStarted({
    runId,
    runDir,
    cellIds: options.cells.map((c) => c.id),
    concurrency: options.concurrency,
  });

  const limit = pLimit(Math.max(1, options.concurrency));
  let saving = Promise.resolve();
  await Promise.all(
    options.cells.map((cell) =>
      limit(async () => {
        if (signal.aborted) return;
        progress.cellStarted(cell.id);
        const result = await runCell(cell, {
          runId,
          runDir,
          scenario: plan.scenario,
          scenarioDir: dirname(plan.scenarioFile),
          strategyOptions: plan.matrix.strategyOptions,
          clock,
          signal,
          platform: (name) => options.registries.platforms.get(name),
          method: (name) => options.registries.methods.get(name),
          load: options.registries.loadDrivers.get(plan.scenario.traffic.sql ? 'sql' : 'builtin'),
          onPhase: (id, phase, state) => progress.phase(id, phase, state),
          ...(options.logLevel ? { logLevel: options.logLevel } : {}),
        });
        finished.set(cell.id, result);
        progress.cellFinished(result);
        saving = saving.then(save);
        await saving;
      }),
    ),
  );

  const interrupted = signal.aborted;
  for (const cell of options.cells) {
    if (!finished.has(cell.id))
      finished.set(
        cell.id,
        emptyCellRecord(cell, 'interrupted', 'not started: the run was interrupted', clock.now()),
      );
  }
  record.status = interrupted ? 'interrupted' : 'completed';
  record.exitCode = exitCodeFor([...finished.values()], interrupted);
  await save();
  await progress.runFinished();
  const { files, reportErrors } = await writeRunReports(record, runDir, options.reporters);
  return { record, runDir, files, reportErrors };
}

/**
 * Writes the reports one reporter at a time (charts before the html report that links them), so a
 * reporter that fails costs only its own files and is told apart from the run's own result.
 */
async function writeRunReports(
  record: RunRecord,
  runDir: string,
  names: readonly string[] | undefined,
): Promise<{ files: string[]; reportErrors: string[] }> {
  const registry = createReporterRegistry();
  const rank = (name: string) => {
    const i = (DEFAULT_REPORTERS as readonly string[]).indexOf(name);
    return i === -1 ? DEFAULT_REPORTERS.length : i;
  };
  const ordered = [...(names ?? registry.names())].sort((a, b) => rank(a) - rank(b));
  const files: string[] = [];
  const reportErrors: string[] = [];
  for (const name of ordered) {
    try {
      files.push(...(await writeReports(record, runDir, [name], registry)));
    } catch (error: unknown) {
      reportErrors.push(errorMessage(error));
    }
  }
  return { files, reportErrors };
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}
