import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors.js';
import { buildRunRecord } from '../../testing/run-record-builder.js';
import { benchReport } from './bench-report.js';
import { writeTwoRuns } from './bench-test-cells.js';
import { csvRecords } from './csv-test-reader.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('benchReport', () => {
  it('writes the tables and plots of two runs, aggregating the repetitions', async () => {
    const out = join(dir, 'out');
    const files = await benchReport(await writeTwoRuns(dir), out);
    const names = [
      'capacity.md',
      'capacity.csv',
      'comparison.md',
      'comparison.csv',
      'latency-p99-by-size.svg',
      'latency-p99-by-size.png',
      'downtime-by-size.svg',
      'downtime-by-size.png',
      'throughput-by-size.svg',
      'throughput-by-size.png',
    ];
    expect(files).toEqual(names.map((n) => join(out, n)));
    expect((await readdir(out)).sort()).toEqual([...names].sort());
    const capacity = csvRecords(await readFile(join(out, 'capacity.csv'), 'utf8'));
    expect(capacity.map((r) => [r['axis.profile'], r.cells, r.runs, r.baseline_p99_ms_median])).toEqual([
      ['1k', '2', '2', '15'],
      ['10k', '2', '2', '15'],
    ]);
    const comparison = csvRecords(await readFile(join(out, 'comparison.csv'), 'utf8'));
    expect(comparison.map((r) => [r['axis.profile'], r.n_p99_ms, r.n1_p99_ms, r.p99_ms_change_pct])).toEqual([
      ['1k', '15', '30', '100'],
      ['10k', '15', '30', '100'],
    ]);
    const md = await readFile(join(out, 'capacity.md'), 'utf8');
    expect(md).toContain('From 2 runs:');
    expect(md).toContain('![Latency p99 by size and version](latency-p99-by-size.svg)');
    const png = await readFile(join(out, 'downtime-by-size.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('names the file and the field when a run.json cannot be used', async () => {
    const [good] = await writeTwoRuns(dir);
    const bad = join(dir, 'bad');
    await mkdir(bad);
    const record = buildRunRecord({ runId: 'bad-run' }) as unknown as {
      cells: Array<Record<string, unknown>>;
    };
    delete record.cells[0]?.latency;
    (record.cells[0] as { phases: unknown }).phases = 'none';
    await writeFile(join(bad, 'run.json'), JSON.stringify(record));
    const error = await benchReport([good as string, bad], join(dir, 'out')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `${bad}/run.json cannot be used for a bench report: cells[0].phases is not a list; cells[0].latency is missing`,
    );
  });

  it('refuses the same run twice, which would count its cells twice', async () => {
    const [first] = await writeTwoRuns(dir);
    const error = await benchReport(
      [first as string, join(first as string, 'run.json')],
      join(dir, 'out'),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('run run-1 is given twice');
  });

  it('refuses a merged run together with one of its shards', async () => {
    const [shard] = await writeTwoRuns(dir);
    const merged = join(dir, 'merged');
    await mkdir(merged);
    const record = buildRunRecord({ runId: 'merged-run' });
    record.mergedFrom = [{ runId: 'run-1', dir: 'run-1', host: record.host }];
    await writeFile(join(merged, 'run.json'), JSON.stringify(record));
    const error = await benchReport([shard as string, merged], join(dir, 'out')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('run run-1 is given twice');
    expect((error as Error).message).toContain('merged into merged-run');
  });
});
