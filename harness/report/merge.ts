/**
 * `merge-reports`: joins runs of one matrix (typically its `--shard i/n` slices, run by separate CI
 * jobs) into one run with one run.json and one set of reports, as if the cells had run together.
 */
import { cp, lstat, mkdir, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
// Pure: the same rule a run decides its exit code with, so a merged run cannot disagree with it.
import { exitCodeFor } from '../analyze/exit-code.js';
import { UsageError } from '../common/errors.js';
import { makeDirs } from '../common/make-dirs.js';
import {
  type CellRecord,
  type MergedRun,
  RUN_RECORD_SCHEMA_VERSION,
  type RunRecord,
  type RunShard,
} from '../common/run-record.js';
import { cellIdsHash } from '../run/shard.js';
import { readRunRecord } from './json-reporter.js';
import { createReporterRegistry, type ReporterRegistry, writeReports } from './reporter.js';

/** A run to merge: its record and the run directory its artifactsDir paths are relative to. */
export interface MergeSource {
  dir: string;
  record: RunRecord;
}

export interface MergedRecord {
  record: RunRecord;
  /**
   * Things worth knowing (different tool versions, an interrupted run) and, under `allowPartial`,
   * why the merged run is not the whole matrix (also in `record.mergeWarnings`).
   */
  warnings: string[];
}

export interface MergeRecordOptions {
  /**
   * Merge runs that do not make the whole matrix (a shard missing, shards of different counts or
   * cut from different cell sets) instead of refusing them: the merged record names what is
   * missing in `mergeWarnings`, and its exit code is at least 3 (not everything was measured).
   */
  allowPartial?: boolean;
}

/** Exit code of a run that lacks cells: at least "errored/inconclusive", as nothing says the rest passed. */
const PARTIAL_EXIT_CODE = 3;

/**
 * Joins the records: cells concatenated (by shard index when every run is a shard, else in the
 * order given), startedAt the earliest, endedAt the latest, status and exit code decided from the
 * cells as a run decides them. Refuses (UsageError) runs of different matrices, a cell id that
 * appears twice, a shard given twice, and — unless `allowPartial` — shards that do not make the
 * whole matrix they were cut from (see `completenessProblems`). Pure.
 */
export function mergeRunRecords(
  sources: readonly MergeSource[],
  runId: string,
  options: MergeRecordOptions = {},
): MergedRecord {
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

  const seenShards = new Map<string, string>();
  for (const s of ordered) {
    if (!s.record.shard) continue;
    const key = shardText(s.record.shard);
    const other = seenShards.get(key);
    if (other !== undefined) {
      throw new UsageError(
        `shard ${key} is given twice: ${other} and ${s.dir}`,
        'merge each shard once (a retried CI job leaves two runs of one shard: keep the last)',
      );
    }
    seenShards.set(key, s.dir);
  }

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
  const problems = completenessProblems(ordered, cells);
  if (problems.length > 0 && !options.allowPartial) {
    throw new UsageError(
      `the runs do not make the whole matrix: ${problems.join('; ')}`,
      'merge every shard of one `run --shard i/n` pipeline (same matrix, same --filter, same n), or pass --allow-partial to merge what is there (the merged run then exits with at least 3)',
    );
  }
  const interrupted = ordered.some((s) => s.record.status === 'interrupted');
  const fromCells = exitCodeFor(cells, interrupted);
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
    // 130 (interrupted) stays; otherwise a partial run is never better than 3.
    exitCode: problems.length > 0 && !interrupted ? Math.max(fromCells, PARTIAL_EXIT_CODE) : fromCells,
    matrix: head.record.matrix,
    scenario: head.record.scenario,
    host: head.record.host,
    cells,
    mergedFrom,
    ...(problems.length > 0 ? { mergeWarnings: problems } : {}),
  };
  return { record, warnings: [...problems, ...mergeWarnings(ordered)] };
}

/**
 * Why the runs (in shard order) do not make the whole matrix their shards were cut from: runs that
 * are not all shards, shards of different counts, a missing shard, shards cut from different cell
 * sets (another matrix file or `--filter`: their `matrixCells` / `matrixCellIdsHash` differ), and
 * cells missing against the cell set (a shard run that ended before writing every cell). Unsharded
 * runs alone are each a whole run of what they ran: nothing to check. Pure.
 */
export function completenessProblems(
  sources: readonly MergeSource[],
  cells: readonly Pick<CellRecord, 'id'>[],
): string[] {
  const shards = sources.flatMap((s) => (s.record.shard ? [{ dir: s.dir, shard: s.record.shard }] : []));
  if (shards.length === 0) return [];
  const problems: string[] = [];
  const unsharded = sources.filter((s) => !s.record.shard).map((s) => s.dir);
  if (unsharded.length > 0) {
    problems.push(
      `${unsharded.join(', ')} ${unsharded.length === 1 ? 'is not a shard' : 'are not shards'} while ${shards.map((s) => s.dir).join(', ')} ${shards.length === 1 ? 'is' : 'are'}, so which cells are missing cannot be told`,
    );
  }
  const counts = new Set(shards.map((s) => s.shard.count));
  if (counts.size > 1) {
    problems.push(
      `the runs are shards of different counts (${shards.map((s) => `${s.dir}: ${shardText(s.shard)}`).join(', ')}); each count slices the matrix differently, so cells are missing or twice`,
    );
  }
  const sets = new Map<string, string[]>();
  for (const { dir, shard } of shards) {
    if (shard.matrixCells === undefined || shard.matrixCellIdsHash === undefined) continue;
    const key = `${shard.matrixCells} cells, ids ${shard.matrixCellIdsHash.slice(0, 12)}`;
    sets.set(key, [...(sets.get(key) ?? []), dir]);
  }
  if (sets.size > 1) {
    problems.push(
      `the shards were cut from different cell sets (another matrix file or --filter): ${[...sets].map(([set, dirs]) => `${dirs.join(', ')}: ${set}`).join('; ')}`,
    );
  }
  // the cell set every shard carries and agrees on, if any
  const agreed = sets.size === 1 && shards.every((s) => s.shard.matrixCellIdsHash !== undefined);
  const expected = agreed ? shards[0]?.shard : undefined;
  const tally =
    expected?.matrixCells === undefined
      ? ''
      : `; the merged run has ${cells.length} of the ${expected.matrixCells} cells`;
  const count = shards[0]?.shard.count ?? 0;
  if (counts.size === 1 && unsharded.length === 0) {
    const present = new Set(shards.map((s) => s.shard.index));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !present.has(i));
    if (missing.length > 0) {
      const named = missing.slice(0, 10).map((i) => `${i}/${count}`);
      if (missing.length > named.length) named.push(`… (${missing.length} in all)`);
      problems.push(`shard${missing.length === 1 ? '' : 's'} ${named.join(', ')} missing${tally}`);
    } else if (expected?.matrixCellIdsHash !== undefined && problems.length === 0) {
      // every shard is there: the cells must be exactly the set they were cut from
      if (cells.length < (expected.matrixCells ?? 0)) {
        problems.push(
          `cells are missing from the shards${tally} (a shard run ended before writing every cell)`,
        );
      } else if (cells.length > (expected.matrixCells ?? 0)) {
        problems.push(
          `the shards hold cells their matrix did not have${tally} (a run.json edited, or written by another matrix)`,
        );
      } else if (cellIdsHash(cells.map((c) => c.id)) !== expected.matrixCellIdsHash) {
        problems.push(
          'the cell ids in the shards are not the ones the shards were cut from (a run.json edited, or written by another matrix)',
        );
      }
    }
  }
  return problems;
}

/** Warnings that do not make the merged run partial. */
function mergeWarnings(sources: readonly MergeSource[]): string[] {
  const warnings: string[] = [];
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
 * uploaded only run.json) is a warning; a path that leaves its run directory is refused. Symlinks
 * that lead outside their run (a downloaded artifact could point anywhere) are not copied: a
 * warning names each.
 */
export async function copyCellArtifacts(sources: readonly MergeSource[], runDir: string): Promise<string[]> {
  const missing: string[] = [];
  /** `path → where it leads` of links left out. */
  const skipped: string[] = [];
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
      // The folder, or one on its way, may itself be a link: what counts is where it really is.
      const baseReal = await realpath(base);
      const fromReal = await realpath(from);
      if (!isInside(baseReal, fromReal)) {
        skipped.push(`${join(s.dir, cell.artifactsDir)} → ${fromReal}`);
        continue;
      }
      await cp(fromReal, to, {
        recursive: true,
        force: true,
        preserveTimestamps: true,
        // links inside the run are copied as they are (relative ones keep pointing inside the copy)
        verbatimSymlinks: true,
        filter: async (src) => {
          if (!(await lstat(src)).isSymbolicLink()) return true;
          const points = await linkTarget(src);
          if (isInside(baseReal, points)) return true;
          skipped.push(`${join(s.dir, relative(baseReal, src))} → ${points}`);
          return false;
        },
      });
    }
  }
  const warnings =
    missing.length <= 3
      ? missing.map((path) => `no artifacts folder at ${path}`)
      : [`no artifacts folder for ${missing.length} cells (${missing[0]}, ...)`];
  if (skipped.length > 0) {
    warnings.push(
      skipped.length <= 3
        ? `not copied: ${skipped.length === 1 ? 'a symlink' : 'symlinks'} pointing outside the run (${skipped.join(', ')})`
        : `not copied: ${skipped.length} symlinks pointing outside their run (${skipped[0]}, ...)`,
    );
  }
  return warnings;
}

/** Where a link really leads (every link on the way followed); for a dangling one, its target as written. */
async function linkTarget(link: string): Promise<string> {
  try {
    return await realpath(link);
  } catch {
    return resolve(dirname(link), await readlink(link));
  }
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
  /** See MergeRecordOptions.allowPartial. */
  allowPartial?: boolean;
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
  const merged = mergeRunRecords(sources, options.runId, { allowPartial: options.allowPartial ?? false });
  await claimEmptyFolder(options.outDir, runDir);
  const copyWarnings = await copyCellArtifacts(sources, runDir);
  const files = await writeReports(merged.record, runDir, names, registry);
  return { ...merged, warnings: [...merged.warnings, ...copyWarnings], runDir, files };
}

/**
 * Creates `runDir` (and `outDir`), or takes it when it exists and is empty. A folder with files in
 * it is refused: the merged reports would sit next to stale ones (an earlier merge's cells, charts).
 */
async function claimEmptyFolder(outDir: string, runDir: string): Promise<void> {
  await makeDirs(outDir, 'reports folder');
  try {
    await mkdir(runDir);
    return;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new UsageError(
        `cannot create the merged run folder ${runDir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        'choose a folder you can write to with --out',
      );
    }
  }
  const entries = await readdir(runDir).catch(() => null);
  if (entries === null || entries.length > 0) {
    throw new UsageError(
      `${runDir} already exists${entries === null ? ' and is not a folder' : ' and is not empty'}: the merged run would mix with what is there`,
      'choose another --run-id (or --out), or remove the folder first',
    );
  }
}
