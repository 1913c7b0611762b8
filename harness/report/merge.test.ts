import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import type { CellRecord, RunRecord, RunShard } from '../common/run-record.js';
import { cellIdsHash } from '../run/shard.js';
import {
  BUILT_RUN_STARTED_AT,
  buildRunRecord,
  cellStart,
  downtimeFailedCell,
  erroredCell,
  expectedErrorBudgetFailureCell,
  passedCell,
} from '../testing/run-record-builder.js';
import { readRunRecord, serializeRunRecord } from './json-reporter.js';
import { copyCellArtifacts, type MergeSource, mergeRunRecords, mergeRuns } from './merge.js';

/** The cell set threeShards() was cut from, as `run --shard` records it. */
const MATRIX_IDS = ['a-passed', 'b-downtime', 'c-budget', 'd-errored'];

function shardRun(
  index: number,
  count: number,
  cells: CellRecord[],
  init: Partial<RunRecord> = {},
  matrixIds: readonly string[] | null = MATRIX_IDS,
): RunRecord {
  const shard: RunShard = {
    index,
    count,
    ...(matrixIds ? { matrixCells: matrixIds.length, matrixCellIdsHash: cellIdsHash(matrixIds) } : {}),
  };
  return {
    ...buildRunRecord({
      runId: `shard-${index}`,
      cells,
      startedAt: cells[0]?.startedAt ?? BUILT_RUN_STARTED_AT,
    }),
    shard,
    ...init,
  };
}

/** Three shards of a four-cell matrix; shard 3 holds an errored cell nobody expected. */
function threeShards(): MergeSource[] {
  const a = passedCell({ id: 'a-passed', startedAt: cellStart(0) });
  const b = downtimeFailedCell({ id: 'b-downtime', startedAt: cellStart(1), expected: { status: 'failed' } });
  const c = expectedErrorBudgetFailureCell({ id: 'c-budget', startedAt: cellStart(2) });
  const d = erroredCell({ id: 'd-errored', startedAt: cellStart(3) });
  return [
    { dir: 'out/s3', record: shardRun(3, 3, [d]) },
    { dir: 'out/s1', record: shardRun(1, 3, [a, c]) },
    { dir: 'out/s2', record: shardRun(2, 3, [b]) },
  ];
}

describe('mergeRunRecords', () => {
  it('joins the shards in shard order, spanning their times, and lists them', () => {
    const sources = threeShards();
    const { record, warnings } = mergeRunRecords(sources, 'merged');
    expect(record.runId).toBe('merged');
    expect(record.cells.map((c) => c.id)).toEqual(['a-passed', 'c-budget', 'b-downtime', 'd-errored']);
    expect(record.startedAt).toBe(Math.min(...sources.map((s) => s.record.startedAt)));
    expect(record.endedAt).toBe(Math.max(...sources.map((s) => s.record.endedAt)));
    expect(record.startedAt).toBe(sources[1]!.record.startedAt);
    expect(record.endedAt).toBe(sources[0]!.record.endedAt);
    const cellSet = { matrixCells: 4, matrixCellIdsHash: cellIdsHash(MATRIX_IDS) };
    expect(record.mergedFrom).toEqual([
      {
        runId: 'shard-1',
        dir: 'out/s1',
        shard: { index: 1, count: 3, ...cellSet },
        host: sources[1]!.record.host,
      },
      {
        runId: 'shard-2',
        dir: 'out/s2',
        shard: { index: 2, count: 3, ...cellSet },
        host: sources[2]!.record.host,
      },
      {
        runId: 'shard-3',
        dir: 'out/s3',
        shard: { index: 3, count: 3, ...cellSet },
        host: sources[0]!.record.host,
      },
    ]);
    expect(record).not.toHaveProperty('mergeWarnings');
    expect(record.shard).toBeUndefined();
    expect(record.matrix).toEqual(sources[0]!.record.matrix);
    expect(warnings).toEqual([]);
    expect(() => serializeRunRecord(record)).not.toThrow();
  });

  it('decides status and exit code from the cells, not from the shards', () => {
    const sources = threeShards();
    // each shard claims success; the errored cell nobody expected makes the whole run 3
    for (const s of sources) s.record.exitCode = 0;
    expect(mergeRunRecords(sources, 'm').record).toMatchObject({ status: 'completed', exitCode: 3 });

    const withoutErrored = sources.filter((s) => s.dir !== 'out/s3');
    const unexpectedFailure = shardRun(
      3,
      3,
      [downtimeFailedCell({ id: 'e-downtime', startedAt: cellStart(5) })],
      {},
      ['a-passed', 'b-downtime', 'c-budget', 'e-downtime'],
    );
    const others = withoutErrored.map((s) => ({
      ...s,
      record: shardRun(s.record.shard?.index ?? 0, 3, s.record.cells, {}, [
        'a-passed',
        'b-downtime',
        'c-budget',
        'e-downtime',
      ]),
    }));
    expect(
      mergeRunRecords([...others, { dir: 'out/s3b', record: unexpectedFailure }], 'm').record.exitCode,
    ).toBe(1);

    const interrupted = { ...sources[2]!, record: { ...sources[2]!.record, status: 'interrupted' as const } };
    const merged = mergeRunRecords([sources[0]!, sources[1]!, interrupted], 'm');
    expect(merged.record).toMatchObject({ status: 'interrupted', exitCode: 130 });
    expect(merged.warnings.join('\n')).toContain('interrupted run(s): out/s2');
  });

  it('keeps the order given when the runs are not all shards', () => {
    const one = buildRunRecord({ runId: 'r1', cells: [passedCell({ id: 'z' })] });
    const two = buildRunRecord({ runId: 'r2', cells: [passedCell({ id: 'a' })] });
    const { record, warnings } = mergeRunRecords(
      [
        { dir: 'r1', record: one },
        { dir: 'r2', record: two },
      ],
      'm',
    );
    expect(record.cells.map((c) => c.id)).toEqual(['z', 'a']);
    expect(record.mergedFrom?.map((m) => m.runId)).toEqual(['r1', 'r2']);
    expect(record.mergedFrom?.[0]).not.toHaveProperty('shard');
    expect(warnings).toEqual([]);
  });

  it('refuses a cell id found twice, naming it and both runs', () => {
    const sources = threeShards();
    const again = shardRun(3, 3, [passedCell({ id: 'a-passed' })]);
    const run = () => mergeRunRecords([...sources.slice(1), { dir: 'out/s3-other', record: again }], 'm');
    expect(run).toThrow(UsageError);
    expect(run).toThrow('cell a-passed is in two runs: out/s1 and out/s3-other');
  });

  it('refuses runs of different matrices and the same run twice', () => {
    const sources = threeShards();
    const other = {
      dir: 'out/x',
      record: buildRunRecord({ matrixName: 'nightly', cells: [passedCell({ id: 'x' })] }),
    };
    expect(() => mergeRunRecords([sources[1]!, other], 'm')).toThrow(
      'runs of different matrices cannot be merged: out/s1 ran matrix "demo", out/x ran "nightly"',
    );
    expect(() => mergeRunRecords([sources[1]!, { ...sources[1]!, dir: 'out/./s1' }], 'm')).toThrow(
      'the run out/./s1 is given twice (also as out/s1)',
    );
    expect(() => mergeRunRecords([], 'm')).toThrow(UsageError);
  });

  it('refuses a missing shard, naming it and the cells the merged run would lack', () => {
    const sources = threeShards();
    const partial = [sources[0]!, sources[1]!];
    const run = () => mergeRunRecords(partial, 'm');
    expect(run).toThrow(UsageError);
    expect(run).toThrow(
      'the runs do not make the whole matrix: shard 2/3 missing; the merged run has 3 of the 4 cells',
    );
    // the same shards of a run without the cell-set fields (written before they existed)
    const old = partial.map((s) => ({
      ...s,
      record: shardRun(s.record.shard?.index ?? 0, 3, s.record.cells, {}, null),
    }));
    expect(() => mergeRunRecords(old, 'm')).toThrow(
      'the runs do not make the whole matrix: shard 2/3 missing',
    );
    // many missing shards are named up to ten
    const lone = { dir: 'out/one', record: shardRun(1, 40, sources[1]!.record.cells) };
    expect(() => mergeRunRecords([lone], 'm')).toThrow(
      'shards 2/40, 3/40, 4/40, 5/40, 6/40, 7/40, 8/40, 9/40, 10/40, 11/40, … (39 in all) missing; the merged run has 2 of the 4 cells',
    );
  });

  it('with allowPartial, merges a missing shard into a run that says so and exits at least 3', () => {
    const sources = threeShards().filter((s) => s.dir !== 'out/s3');
    // the cells present are all as expected: alone they would exit 0
    const { record, warnings } = mergeRunRecords(sources, 'm', { allowPartial: true });
    expect(record.cells.map((c) => c.id)).toEqual(['a-passed', 'c-budget', 'b-downtime']);
    expect(record.mergeWarnings).toEqual(['shard 3/3 missing; the merged run has 3 of the 4 cells']);
    expect(warnings).toEqual(record.mergeWarnings);
    expect(record.exitCode).toBe(3);
    expect(() => serializeRunRecord(record)).not.toThrow();

    // an unexpected failure (1) is raised to 3; interrupted stays 130
    const failing = threeShards().filter((s) => s.dir !== 'out/s2');
    failing[0]!.record.cells = [downtimeFailedCell({ id: 'd-errored' })];
    expect(mergeRunRecords(failing, 'm', { allowPartial: true }).record.exitCode).toBe(3);
    failing[1]!.record.status = 'interrupted';
    expect(mergeRunRecords(failing, 'm', { allowPartial: true }).record.exitCode).toBe(130);

    // a whole merge carries no mergeWarnings
    expect(mergeRunRecords(threeShards(), 'm', { allowPartial: true }).record).not.toHaveProperty(
      'mergeWarnings',
    );
  });

  it('refuses shards of different counts, cut from different cell sets, or mixed with an unsharded run', () => {
    const sources = threeShards();
    const half = { dir: 'out/h', record: shardRun(2, 2, [passedCell({ id: 'h' })]) };
    expect(() => mergeRunRecords([sources[1]!, half], 'm')).toThrow(
      'the runs are shards of different counts (out/s1: 1/3, out/h: 2/2)',
    );

    // shard 2 of a job that ran with another --filter: same count, other cell set
    const filtered = { ...sources[2]!, record: shardRun(2, 3, sources[2]!.record.cells, {}, ['b-downtime']) };
    const otherSet = () => mergeRunRecords([sources[0]!, sources[1]!, filtered], 'm');
    expect(otherSet).toThrow(UsageError);
    expect(otherSet).toThrow(
      /the shards were cut from different cell sets \(another matrix file or --filter\): out\/s1, out\/s3: 4 cells, ids [0-9a-f]{12}; out\/s2: 1 cells, ids [0-9a-f]{12}/,
    );

    const whole = { dir: 'out/w', record: buildRunRecord({ runId: 'w', cells: [passedCell({ id: 'w' })] }) };
    expect(() => mergeRunRecords([sources[1]!, whole], 'm')).toThrow(
      'out/w is not a shard while out/s1 is, so which cells are missing cannot be told',
    );
    const allowed = mergeRunRecords([sources[1]!, half], 'm', { allowPartial: true });
    expect(allowed.record.mergeWarnings?.[0]).toContain('shards of different counts');
    expect(allowed.record.exitCode).toBe(3);
  });

  it('refuses every shard present with a cell missing or a cell not of the set', () => {
    const sources = threeShards();
    sources[2]!.record.cells = []; // out/s2: shard 2 ended before writing its cell
    expect(() => mergeRunRecords(sources, 'm')).toThrow(
      'cells are missing from the shards; the merged run has 3 of the 4 cells (a shard run ended before writing every cell)',
    );
    sources[2]!.record.cells = [passedCell({ id: 'b-downtime' }), passedCell({ id: 'b-extra' })];
    expect(() => mergeRunRecords(sources, 'm')).toThrow(
      'the shards hold cells their matrix did not have; the merged run has 5 of the 4 cells',
    );
    sources[2]!.record.cells = [passedCell({ id: 'b-renamed' })];
    expect(() => mergeRunRecords(sources, 'm')).toThrow(
      'the cell ids in the shards are not the ones the shards were cut from',
    );
  });

  it('refuses a shard given twice, even with allowPartial', () => {
    const sources = threeShards();
    const retry = { dir: 'out/s3-retry', record: shardRun(3, 3, []) };
    expect(() => mergeRunRecords([...sources, retry], 'm', { allowPartial: true })).toThrow(
      'shard 3/3 is given twice: out/s3 and out/s3-retry',
    );
  });
});

describe('mergeRuns (files)', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'merge-runs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Writes each source as a run directory with run.json and a log per cell. */
  async function writeRuns(sources: MergeSource[]): Promise<string[]> {
    const dirs: string[] = [];
    for (const s of sources) {
      const dir = join(root, s.dir);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'run.json'), serializeRunRecord(s.record));
      for (const cell of s.record.cells.filter((c) => c.artifactsDir !== '')) {
        await mkdir(join(dir, cell.artifactsDir, 'logs'), { recursive: true });
        await writeFile(
          join(dir, cell.artifactsDir, 'logs', 'cell.log'),
          `log of ${cell.id} from ${s.dir}\n`,
        );
      }
      dirs.push(dir);
    }
    return dirs;
  }

  it('writes the merged run.json and reports, and copies every cell folder', async () => {
    const sources = threeShards();
    // a cell that never started has no folder, and that is not worth a warning
    sources[2]!.record.cells.push({
      ...passedCell({ id: 'never-started' }),
      status: 'interrupted',
      artifactsDir: '',
    });
    const ids = [...MATRIX_IDS, 'never-started'];
    for (const s of sources) s.record = shardRun(s.record.shard?.index ?? 0, 3, s.record.cells, {}, ids);
    const dirs = await writeRuns(sources);
    const result = await mergeRuns({ dirs, outDir: join(root, 'merged'), runId: 'all' });
    expect(result.runDir).toBe(join(root, 'merged', 'all'));
    expect(result.files[0]).toBe(join(result.runDir, 'run.json'));
    expect(result.files).toContain(join(result.runDir, 'summary.md'));
    expect(result.files).toContain(join(result.runDir, 'junit.xml'));
    const back = await readRunRecord(result.runDir);
    expect(back).toEqual(result.record);
    expect(back.exitCode).toBe(3);
    expect(back.mergedFrom?.map((m) => m.dir)).toEqual([dirs[1], dirs[2], dirs[0]]);
    for (const cell of back.cells.filter((c) => c.artifactsDir !== '')) {
      const log = await readFile(join(result.runDir, cell.artifactsDir, 'logs', 'cell.log'), 'utf8');
      expect(log).toContain(`log of ${cell.id} from`);
    }
    expect(result.warnings).toEqual([]);
  });

  it('accepts paths of run.json files and writes only the named reports besides run.json', async () => {
    const dirs = await writeRuns(threeShards());
    const result = await mergeRuns({
      dirs: dirs.map((d) => join(d, 'run.json')),
      outDir: root,
      runId: 'md',
      reporters: ['markdown'],
    });
    expect(result.files).toEqual([join(root, 'md', 'run.json'), join(root, 'md', 'summary.md')]);
    expect((await readdir(join(root, 'md'))).sort()).toEqual(['cells', 'run.json', 'summary.md']);
  });

  it('fails on an unknown reporter before writing anything', async () => {
    const dirs = await writeRuns(threeShards());
    await expect(mergeRuns({ dirs, outDir: root, runId: 'x', reporters: ['htlm'] })).rejects.toThrow(
      /unknown reporter "htlm" \(known: .*markdown/,
    );
    expect(await readdir(root)).not.toContain('x');
  });

  it('refuses to write over a run it reads, and a missing run', async () => {
    const dirs = await writeRuns(threeShards());
    await expect(mergeRuns({ dirs, outDir: join(root, 'out'), runId: 's1' })).rejects.toThrow(
      'the merged run would overwrite the run it reads',
    );
    await expect(mergeRuns({ dirs: [join(root, 'nope')], outDir: root, runId: 'm' })).rejects.toThrow(
      `no run record at ${join(root, 'nope')}`,
    );
  });

  it('warns about a cell folder that is not there, and refuses one outside its run', async () => {
    const sources = threeShards();
    const dirs = await writeRuns(sources);
    await rm(join(dirs[2]!, 'cells', 'b-downtime'), { recursive: true });
    const result = await mergeRuns({ dirs, outDir: root, runId: 'm' });
    expect(result.warnings).toEqual([`no artifacts folder at ${join(dirs[2]!, 'cells/b-downtime')}`]);

    for (const d of dirs) await rm(join(d, 'cells'), { recursive: true });
    const bare = await mergeRuns({ dirs, outDir: root, runId: 'bare' });
    expect(bare.warnings).toEqual([
      `no artifacts folder for 4 cells (${join(dirs[0]!, 'cells/d-errored')}, ...)`,
    ]);

    const evil = threeShards().map((s) => ({ ...s, dir: join(root, s.dir) }));
    evil[0]!.record.cells[0]!.artifactsDir = '../s1/cells';
    await expect(copyCellArtifacts(evil, join(root, 'e'))).rejects.toThrow(
      'has artifactsDir "../s1/cells", which is not a folder inside its run directory',
    );
  });

  it('refuses to merge into a run folder that has files in it, and takes an empty one', async () => {
    const dirs = await writeRuns(threeShards());
    const first = await mergeRuns({ dirs, outDir: root, runId: 'nightly' });
    const before = await readFile(join(first.runDir, 'run.json'), 'utf8');
    const again = mergeRuns({ dirs: dirs.slice(0, 2), outDir: root, runId: 'nightly', allowPartial: true });
    await expect(again).rejects.toThrow(UsageError);
    await expect(mergeRuns({ dirs, outDir: root, runId: 'nightly' })).rejects.toThrow(
      `${join(root, 'nightly')} already exists and is not empty`,
    );
    // nothing was written into it
    expect(await readFile(join(first.runDir, 'run.json'), 'utf8')).toBe(before);

    await writeFile(join(root, 'a-file'), 'x');
    await expect(mergeRuns({ dirs, outDir: root, runId: 'a-file' })).rejects.toThrow(
      `${join(root, 'a-file')} already exists and is not a folder`,
    );
    await mkdir(join(root, 'empty'));
    const into = await mergeRuns({ dirs, outDir: root, runId: 'empty' });
    expect(into.record.cells).toHaveLength(4);
  });

  it('refuses shards that are not the whole matrix before writing anything, unless allowPartial', async () => {
    const dirs = await writeRuns(threeShards());
    await expect(mergeRuns({ dirs: dirs.slice(0, 2), outDir: root, runId: 'part' })).rejects.toThrow(
      'shard 2/3 missing',
    );
    expect(await readdir(root)).not.toContain('part');
    const partial = await mergeRuns({
      dirs: dirs.slice(0, 2),
      outDir: root,
      runId: 'part',
      allowPartial: true,
    });
    const back = await readRunRecord(partial.runDir);
    expect(back.mergeWarnings).toEqual(['shard 2/3 missing; the merged run has 3 of the 4 cells']);
    expect(back.exitCode).toBe(3);
    expect(await readFile(join(partial.runDir, 'summary.md'), 'utf8')).toContain('a-passed');
  });

  it('does not copy symlinks that lead outside the source run, and keeps those inside', async () => {
    const sources = threeShards();
    const dirs = await writeRuns(sources);
    const s1 = dirs[1]!;
    const secret = join(root, 'secret.txt');
    await writeFile(secret, 'not for the report\n');
    const logs = join(s1, 'cells', 'a-passed', 'logs');
    await symlink(secret, join(logs, 'absolute-out.log'));
    await symlink('../../../../../secret.txt', join(logs, 'relative-out.log'));
    await symlink('cell.log', join(logs, 'inside.log'));
    await symlink(join(s1, 'run.json'), join(logs, 'run-json.link'));
    // a link inside that leads to a link outside is outside
    await symlink('absolute-out.log', join(logs, 'chained.log'));
    // the whole cell folder of c-budget is a link out of the run
    const elsewhere = join(root, 'elsewhere');
    await mkdir(join(elsewhere, 'logs'), { recursive: true });
    await writeFile(join(elsewhere, 'logs', 'cell.log'), 'elsewhere\n');
    await rm(join(s1, 'cells', 'c-budget'), { recursive: true });
    await symlink(elsewhere, join(s1, 'cells', 'c-budget'));

    const result = await mergeRuns({ dirs, outDir: root, runId: 'm' });
    const copied = join(result.runDir, 'cells', 'a-passed', 'logs');
    expect((await readdir(copied)).sort()).toEqual(['cell.log', 'inside.log', 'run-json.link']);
    expect(await readlink(join(copied, 'inside.log'))).toBe('cell.log');
    expect(await readFile(join(copied, 'inside.log'), 'utf8')).toContain('log of a-passed');
    expect((await lstat(join(copied, 'run-json.link'))).isSymbolicLink()).toBe(true);
    // c-budget's folder was not copied (only the charts the reports draw are there)
    expect(await readdir(join(result.runDir, 'cells', 'c-budget'))).toEqual(['charts']);
    expect(result.warnings).toHaveLength(1);
    const [warning] = result.warnings;
    expect(warning).toMatch(/^not copied: 4 symlinks pointing outside their run \(/);

    // a few are each named, with where they lead
    await rm(join(logs, 'relative-out.log'));
    await rm(join(logs, 'chained.log'));
    const few = await mergeRuns({ dirs, outDir: root, runId: 'm2' });
    expect(few.warnings).toHaveLength(1);
    expect(few.warnings[0]).toMatch(/^not copied: symlinks pointing outside the run \(/);
    expect(few.warnings[0]).toMatch(/cells\/a-passed\/logs\/absolute-out\.log → \S*secret\.txt/);
    expect(few.warnings[0]).toContain(`${join(s1, 'cells', 'c-budget')} → `);
  });
});
