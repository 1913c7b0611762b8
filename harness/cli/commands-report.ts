/** `report <run-dir>` and `merge-reports <run-dirs...>`: reports from run records, nothing is run again. */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../common/errors.js';
import {
  createReporterRegistry,
  type ReporterRegistry,
  RUN_JSON_FILE,
  readRunRecord,
  writeReports,
} from '../report/index.js';
import { mergeRuns } from '../report/merge.js';
import { newRunId } from '../run/run-matrix.js';
import { EXIT } from './exit-codes.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Commander parser for `--reporter a,b` (repeatable): the names, in order, each once. */
export function reporterList(value: string, previous: string[] | undefined): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0) throw new InvalidArgumentError('expected reporter names separated by commas');
  return [...new Set([...(previous ?? []), ...names])];
}

/** Every name must be registered; the error names the known ones. */
export function checkReporters(names: readonly string[], registry: ReporterRegistry): void {
  const known = registry.names();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown reporter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${known.join(', ')})`,
      'list reporters with commas, e.g. --reporter junit,markdown',
    );
  }
}

export async function reportCommand(runDir: string, opts: { reporter?: string[] }, io: Io): Promise<number> {
  const registry = createReporterRegistry();
  if (opts.reporter) checkReporters(opts.reporter, registry);
  const record = await readRunRecord(runDir);
  // run.json is what the reports are made from: it is never rewritten
  if (opts.reporter?.includes('json'))
    io.err(`note: ${RUN_JSON_FILE} is the source of the reports; kept as it is`);
  const names = (opts.reporter ?? registry.names()).filter((n) => n !== 'json');
  const isFile = await stat(runDir).then(
    (st) => st.isFile(),
    () => false,
  );
  const dir = resolve(isFile ? dirname(runDir) : runDir);
  const files = await writeReports(record, dir, names, registry);
  io.out(`${files.length} report file(s) written from ${resolve(dir, RUN_JSON_FILE)} (run ${record.runId}):`);
  for (const f of files) io.out(`  ${resolve(f)}`);
  return EXIT.ok;
}

export interface MergeOpts {
  out: string;
  runId?: string;
  reporter?: string[];
  /** Merge runs that are not the whole matrix (a shard missing, ...); the run then exits with at least 3. */
  allowPartial?: boolean;
}

export async function mergeReportsCommand(dirs: string[], opts: MergeOpts, io: Io): Promise<number> {
  const registry = createReporterRegistry();
  if (opts.reporter) checkReporters(opts.reporter, registry);
  const result = await mergeRuns({
    dirs,
    outDir: resolve(opts.out),
    runId: opts.runId ?? newRunId(new Date()),
    ...(opts.reporter ? { reporters: opts.reporter } : {}),
    registry,
    allowPartial: opts.allowPartial ?? false,
  });
  for (const w of result.warnings) io.err(`warning: ${w}`);
  const { record } = result;
  const matched = record.cells.filter((c) => c.matchedExpectation).length;
  const partial = record.mergeWarnings?.length ? ' (partial: not the whole matrix, so at least 3)' : '';
  io.out(
    `merged ${dirs.length} run(s) of matrix ${record.matrix.name} into ${result.runDir}: ${record.cells.length} cell(s), ${matched} as expected; the run's exit code is ${record.exitCode}${partial}`,
  );
  io.out('reports:');
  for (const f of result.files) io.out(`  ${resolve(f)}`);
  // The merge job is where a sharded pipeline learns its verdict: it exits as the unsharded run would.
  return record.exitCode;
}
