import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import type { CellRecord, RunRecord, RunShard } from '../common/run-record.js';
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

function shardRun(
  index: number,
  count: number,
  cells: CellRecord[],
  init: Partial<RunRecord> = {},
): RunRecord {
  const shard: RunShard = { index, count };
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
    expect(record.mergedFrom).toEqual([
      { runId: 'shard-1', dir: 'out/s1', shard: { index: 1, count: 3 }, host: sources[1]!.record.host },
      { runId: 'shard-2', dir: 'out/s2', shard: { index: 2, count: 3 }, host: sources[2]!.record.host },
      { runId: 'shard-3', dir: 'out/s3', shard: { index: 3, count: 3 }, host: sources[0]!.record.host },
    ]);
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
    expect(mergeRunRecords(withoutErrored, 'm').record.exitCode).toBe(0);

    const unexpectedFailure = shardRun(3, 3, [
      downtimeFailedCell({ id: 'e-downtime', startedAt: cellStart(5) }),
    ]);
    expect(
      mergeRunRecords([...withoutErrored, { dir: 'out/s3b', record: unexpectedFailure }], 'm').record
        .exitCode,
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
    const again = shardRun(2, 3, [passedCell({ id: 'a-passed' })]);
    const run = () => mergeRunRecords([...sources.slice(1), { dir: 'out/s2-retry', record: again }], 'm');
    expect(run).toThrow(UsageError);
    expect(run).toThrow('cell a-passed is in two runs: out/s1 and out/s2-retry');
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

  it('warns about missing shards and mixed shard counts', () => {
    const sources = threeShards();
    expect(mergeRunRecords([sources[0]!, sources[1]!], 'm').warnings).toEqual([
      'shard(s) 2/3 missing: the merged run lacks their cells',
    ]);
    const mixed = { dir: 'out/h', record: shardRun(2, 2, [passedCell({ id: 'h' })]) };
    expect(mergeRunRecords([sources[1]!, mixed], 'm').warnings[0]).toContain('shards of different counts');
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
});
