import { join } from 'node:path';
import { systemClock } from '../common/clock.js';
import { loadMatrix } from '../config/index.js';
import { defaultRegistries } from '../run/registries.js';
import { type RunMatrixResult, runMatrix } from '../run/run-matrix.js';
import { REPO_ROOT } from './cli.js';

/** Runs a matrix file (relative to the repo, or absolute) for real, in-process, into `outDir/runId`. */
export async function runMatrixFile(
  file: string,
  options: {
    outDir: string;
    runId: string;
    concurrency?: number;
    signal?: AbortSignal;
    /** Options of the built-in plugins (e.g. the helm binary's path). */
    registries?: Parameters<typeof defaultRegistries>[0];
  },
): Promise<RunMatrixResult> {
  const plan = await loadMatrix(file.startsWith('/') ? file : join(REPO_ROOT, file));
  return runMatrix({
    plan,
    cells: plan.cells,
    outDir: options.outDir,
    runId: options.runId,
    concurrency: options.concurrency ?? plan.matrix.concurrency,
    signal: options.signal ?? new AbortController().signal,
    clock: systemClock,
    registries: defaultRegistries(options.registries),
    tool: { name: 'upgrade-harness', version: 'test' },
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: 2 },
  });
}
