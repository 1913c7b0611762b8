/**
 * `merge-reports`: joins runs of one matrix (typically its `--shard i/n` slices, run by separate CI
 * jobs) into one run with one run.json and one set of reports, as if the cells had run together.
 */
import { cp, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
// Pure: the same rule a run decides its exit code with, so a merged run cannot disagree with it.
import { exitCodeFor } from '../analyze/exit-code.js';
import { UsageError } from '../common/errors.js';
import { makeDirs } from '../common/make-dirs.js';
import {
  type MergedRun,
  RUN_RECORD_SCHEMA_VERSION,
  type RunRecord,
  type RunShard,
} from '../common/run-record.js';
import { readRunRecord } from './json-reporter.js';
import { createReporterRegistry, type ReporterRegistry, writeReports } from './reporter.js';

/** A run to merge: its record and the run directory its artifactsDir paths are relative to. */
export interface MergeSource {
  dir: string;
  record: RunRecord;
}

export interface MergedRecord {
  record: RunRecord;
  /** Things worth knowing that do not stop the merge (a shard missing, different tool versions). */
  warnings: string[];
}

/**
 * Joins the records: cells concatenated (by shard index when every run is a shard, else in the
 * order given), startedAt the earliest, endedAt the latest, status and exit code decided from the
 * cells as a run decides them. Refuses (UsageError) runs of different matrices and a cell id that
 * appears twice. Pure.
 */
export function mergeRunRecords(sources: readonly MergeSource[], runId: string): MergedRecord {
  const [first] = sources;
  if (!first) throw new UsageError('merge-reports needs at least one run directory');
  const seenDirs = new Map<string, string>();
  for (const s of sources) {
    const key = resolve(s.dir);
    const before = seenDirs.get(key);
    if (before !== undefined) {
      throw new UsageError(
        `the run ${s.dir} is given twice${before === s.dir ? '' : ` (also as ${before})`}`,
      );
    }
    seenDirs.set(key, s.dir);
  }
  for (const s of sources) {
    if (s.record.matrix.name !== first.record.matrix.name) {
      throw new UsageError(
        `runs of different matrices cannot be merged: ${first.dir} ran matrix "${first.record.matrix.name}", ${s.dir} ran "${s.record.matrix.name}"`,
      );
    }
  }
  const shards = sources.map((s) => s.record.shard);
  const ordered = shards.every((s) => s !== undefined)
    ? [...sources].sort((a, b) => (a.record.shard?.index ?? 0) - (b.record.shard?.index ?? 0))
    : [...sources];

  const owner = new Map<string, string>();
  for (const s of ordered) {
    for (const cell of s.record.cells) {
      const other = owner.get(cell.id);
      if (other !== undefined) {
        throw new UsageError(
          `cell ${cell.id} is in two runs: ${other} and ${s.dir}`,
          'merge each shard once; runs that share cells (the same shard twice, or a sharded and an unsharded run) cannot be joined',
        );
      }
      owner.set(cell.id, s.dir);
    }
  }

  const cells = ordered.flatMap((s) => s.record.cells);
  const interrupted = ordered.some((s) => s.record.status === 'interrupted');
  const mergedFrom: MergedRun[] = ordered.map((s) => ({
    runId: s.record.runId,
    dir: s.dir,
    ...(s.record.shard ? { shard: s.record.shard } : {}),
    host: s.record.host,
  }));
  const head = ordered[0] ?? first;
  const record: RunRecord = {
    schemaVersion: RUN_RECORD_SCHEMA_VERSION,
    runId,
    tool: head.record.tool,
    startedAt: Math.min(...ordered.map((s) => s.record.startedAt)),
    endedAt: Math.max(...ordered.map((s) => s.record.endedAt)),
    status: interrupted ? 'interrupted' : 'completed',
    exitCode: exitCodeFor(cells, interrupted),
    matrix: head.record.matrix,
    scenario: head.record.scenario,
    host: head.record.host,
    cells,
    mergedFrom,
  };
  return { record, warnings: mergeWarnings(ordered) };
}

function mergeWarnings(sources: readonly MergeSource[]): string[] {
  const warnings: string[] = [];
  const shards = sources.flatMap((s) => (s.record.shard ? [{ dir: s.dir, shard: s.record.shard }] : []));
  const counts = new Set(shards.map((s) => s.shard.count));
  if (counts.size > 1) {
    warnings.push(
      `the runs are shards of different counts (${shards.map((s) => `${s.dir}: ${shardText(s.shard)}`).join(', ')})`,
    );
  } else if (shards.length === sources.length && shards[0]) {
    const count = shards[0].shard.count;
    const present = new Set(shards.map((s) => s.shard.index));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !present.has(i));
    if (missing.length > 0) {
      warnings.push(
        `shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} missing: the merged run lacks their cells`,
      );
    }
  }
  for (const [what, value] of [
    ['scenario', (r: RunRecord) => r.scenario.name],
    ['tool version', (r: RunRecord) => `${r.tool.name} ${r.tool.version}`],
  ] as const) {
    const values = new Set(sources.map((s) => value(s.record)));
    if (values.size > 1) warnings.push(`the runs differ in ${what}: ${[...values].join(', ')}`);
  }
  const interrupted = sources.filter((s) => s.record.status === 'interrupted');
  if (interrupted.length > 0) {
    warnings.push(`interrupted run(s): ${interrupted.map((s) => s.dir).join(', ')}; the merged run is too`);
  }
  return warnings;
}

function shardText(shard: RunShard): string {
  return `${shard.index}/${shard.count}`;
}

/** `child` is `parent` or inside it (both resolved). */
function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Copies each cell's artifacts folder from its run into `runDir` under the same relative path, so
 * the merged record's artifactsDir paths stay valid. A folder that is not there (a CI job that
 * uploaded only run.json) is a warning; a path that leaves its run directory is refused.
 */
export async function copyCellArtifacts(sources: readonly MergeSource[], runDir: string): Promise<string[]> {
  const missing: string[] = [];
  const target = resolve(runDir);
  const claimed = new Map<string, string>();
  for (const s of sources) {
    const base = resolve(s.dir);
    for (const cell of s.record.cells) {
      if (cell.artifactsDir === '') continue;
      const from = resolve(base, cell.artifactsDir);
      const to = resolve(target, cell.artifactsDir);
      if (isAbsolute(cell.artifactsDir) || !isInside(base, from) || from === base) {
        throw new UsageError(
          `cell ${cell.id} in ${s.dir} has artifactsDir "${cell.artifactsDir}", which is not a folder inside its run directory`,
        );
      }
      const other = claimed.get(to);
      if (other !== undefined) {
        throw new UsageError(
          `cells ${other} and ${cell.id} both keep their artifacts in ${cell.artifactsDir}; they cannot be merged into one run`,
        );
      }
      claimed.set(to, cell.id);
      const found = await stat(from).then(
        (st) => st.isDirectory(),
        () => false,
      );
      if (!found) {
        missing.push(join(s.dir, cell.artifactsDir));
        continue;
      }
      await cp(from, to, { recursive: true, force: true, preserveTimestamps: true });
    }
  }
  if (missing.length === 0) return [];
  return missing.length <= 3
    ? missing.map((path) => `no artifacts folder at ${path}`)
    : [`no artifacts folder for ${missing.length} cells (${missing[0]}, ...)`];
}

export interface MergeRunsOptions {
  /** Run directories (or paths of their run.json files). */
  dirs: readonly string[];
  /** Reports root: the merged run is written to `<outDir>/<runId>/`. */
  outDir: string;
  runId: string;
  /** Reports to write besides run.json (default: every registered one). */
  reporters?: readonly string[];
  registry?: ReporterRegistry;
}

export interface MergeRunsResult extends MergedRecord {
  runDir: string;
  /** The report files written (run.json first). */
  files: string[];
}

/** Reads the runs, merges them, copies their cells' artifacts, writes run.json and the reports. */
export async function mergeRuns(options: MergeRunsOptions): Promise<MergeRunsResult> {
  if (options.dirs.length === 0) throw new UsageError('merge-reports needs at least one run directory');
  const registry = options.registry ?? createReporterRegistry();
  const names = ['json', ...(options.reporters ?? registry.names()).filter((n) => n !== 'json')];
  // an unknown name fails here, before anything is read or written
  for (const name of names) registry.get(name);
  const runDir = join(options.outDir, options.runId);
  const sources: MergeSource[] = [];
  for (const given of options.dirs) {
    const record = await readRunRecord(given);
    const isDir = await stat(given).then(
      (st) => st.isDirectory(),
      () => false,
    );
    const dir = isDir ? given : dirname(given);
    if (resolve(dir) === resolve(runDir)) {
      throw new UsageError(
        `the merged run would overwrite the run it reads (${dir})`,
        'choose another --out or --run-id',
      );
    }
    sources.push({ dir, record });
  }
  const merged = mergeRunRecords(sources, options.runId);
  await makeDirs(runDir, 'merged run folder');
  const copyWarnings = await copyCellArtifacts(sources, runDir);
  const files = await writeReports(merged.record, runDir, names, registry);
  return { ...merged, warnings: [...merged.warnings, ...copyWarnings], runDir, files };
}
