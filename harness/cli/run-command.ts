/**
 * `upgrade-harness run`: loads and slices the matrix, runs it (or prints the dry run), handles
 * Ctrl-C / SIGTERM / SIGHUP by tearing down, prints the verdicts and where the reports are.
 */
import { existsSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { systemClock } from '../common/clock.js';
import type { RunShard } from '../common/run-record.js';
import { loadMatrix } from '../config/index.js';
import { filterCells } from '../matrix/index.js';
import { defaultKubeconfigPath } from '../platforms/existing/kubeconfig.js';
import { createReporterRegistry, RUN_JSON_FILE } from '../report/index.js';
import { describeDryRun } from '../run/dry-run.js';
import { defaultRegistries } from '../run/registries.js';
import { runMatrix } from '../run/run-matrix.js';
import { formatShard, parseShard, shardSlice } from '../run/shard.js';
import { checkReporters } from './commands-report.js';
import { EXIT } from './exit-codes.js';
import { summaryTable } from './format.js';
import { liveProgress } from './progress-live.js';
import { plainProgress } from './progress-plain.js';

/** What the run command needs from main: output, the package, where the repository is. */
export interface RunCommandIo {
  out(line: string): void;
  err(line: string): void;
  pkg: { name: string; version: string };
  repoRoot: string;
}

/**
 * The cells the filters keep, then the shard's slice of them, and the shard to record (with the
 * size and id hash of the filtered cells, which merge-reports checks the shards against).
 */
export function selectCells<T extends { id: string }>(
  total: number,
  filtered: T[],
  shard: RunShard | undefined,
): { cells: T[]; of: string; shard?: RunShard } {
  if (!shard) return { cells: filtered, of: '' };
  const kept = filtered.length === total ? '' : ' the filters kept';
  return {
    ...shardSlice(filtered, shard),
    of: ` (shard ${formatShard(shard)} of the ${filtered.length} cell(s)${kept})`,
  };
}

export interface RunOpts {
  out: string;
  concurrency?: number;
  filter: string[];
  runId?: string;
  progress: 'auto' | 'live' | 'plain';
  logLevel: string;
  shard?: string;
  reporter?: string[];
  dryRun?: boolean;
}

export async function runCommand(matrixFile: string, opts: RunOpts, io: RunCommandIo): Promise<number> {
  const { out, err, pkg } = io;
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.reporter) checkReporters(opts.reporter, createReporterRegistry());
  const plan = await loadMatrix(matrixFile);
  const filtered = filterCells(plan.cells, opts.filter);
  if (filtered.length === 0) {
    err(`no cell of ${matrixFile} matches the filter ${opts.filter.join(' ')}`);
    return EXIT.usage;
  }
  const { cells, of, shard: slice } = selectCells(plan.cells.length, filtered, shard);
  if (opts.dryRun) {
    out(`dry run of ${matrixFile}: ${cells.length} cell(s)${of}; nothing is created or run`);
    out('');
    const lines = describeDryRun({
      cells,
      scenario: plan.scenario,
      scenarioDir: dirname(plan.scenarioFile),
      strategyOptions: plan.matrix.strategyOptions,
      registries: harnessRegistries(io.repoRoot),
      runId: opts.runId ?? '<run-id>',
    });
    for (const line of lines) out(line);
    return EXIT.ok;
  }
  if (shard) out(`${cells.length} cell(s) to run${of}`);
  // More shards than cells leaves some empty: an empty run, so every CI job has a run to merge.
  if (cells.length === 0) out('this shard has no cells: writing an empty run');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      err(`\n${name}: stopping; tearing down what was started (press Ctrl-C again to force quit)`);
      controller.abort();
    } else {
      err('forced quit: killing what is still running');
      process.exit(EXIT.interrupted);
    }
  };
  // SIGHUP too: a closed terminal must not leave the product's processes running.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const live =
    opts.progress === 'live' || (opts.progress === 'auto' && process.stdout.isTTY && !process.env.CI);
  const progress = live ? liveProgress() : plainProgress(out, () => systemClock.now());
  const { record, files, runDir, reportErrors } = await runMatrix({
    plan,
    cells,
    outDir: resolve(opts.out),
    ...(opts.runId ? { runId: opts.runId } : {}),
    concurrency: opts.concurrency ?? plan.matrix.concurrency,
    signal: controller.signal,
    clock: systemClock,
    registries: harnessRegistries(io.repoRoot),
    progress,
    tool: { name: pkg.name, version: pkg.version },
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length },
    logLevel: opts.logLevel,
    ...(opts.reporter ? { reporters: opts.reporter } : {}),
    ...(slice ? { shard: slice } : {}),
  });
  out('');
  out(summaryTable(record));
  out('');
  for (const c of record.cells.filter((c) => !c.matchedExpectation)) {
    out(`${c.id}: ${c.status}${c.reason ? ` — ${c.reason}` : ''}`);
    for (const check of c.checks.filter((k) => !k.passed)) out(`  ✗ ${check.message}`);
    if (c.error) out(`  ${c.error.phase}: ${c.error.message}`);
  }
  const matched = record.cells.filter((c) => c.matchedExpectation).length;
  out(`${matched} of ${record.cells.length} cell(s) as expected; exit code ${record.exitCode}`);
  // run.json is written whatever the reporters are
  const runJson = join(runDir, RUN_JSON_FILE);
  const all = files.some((f) => basename(f) === RUN_JSON_FILE) ? files : [runJson, ...files];
  out(`reports: ${reportEntries(runDir, all).join(', ')}`);
  // A report that could not be written is told, but the run's result (and exit code) stands.
  for (const e of reportErrors) err(`report not written: ${e}`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  return record.exitCode;
}

/**
 * What to open, not every file: the run's own files, and a folder (allure-results/, the cells'
 * chart files) once for what was written inside it.
 */
function reportEntries(runDir: string, files: readonly string[]): string[] {
  const entries: string[] = [];
  for (const file of files) {
    const [first, ...rest] = relative(runDir, file).split(sep);
    const entry =
      rest.length === 0 || first === undefined ? resolve(file) : `${resolve(runDir, first)}${sep}`;
    if (!entries.includes(entry)) entries.push(entry);
  }
  return entries;
}

/**
 * The built-in plugins, with the helm binary `scripts/fetch-helm.sh` puts in .tools/ when there is
 * one, and the kubeconfig an existing cluster uses when its scenario names none ($KUBECONFIG, ~/.kube/config).
 */
function harnessRegistries(repoRoot: string) {
  const fetched = join(repoRoot, '.tools', 'helm', 'helm');
  const defaultKubeconfig = defaultKubeconfigPath(process.env, homedir());
  return defaultRegistries({
    ...(existsSync(fetched) ? { helmPath: fetched } : {}),
    ...(defaultKubeconfig ? { defaultKubeconfig } : {}),
  });
}
