import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import type { RunRecord } from '../common/run-record.js';
import { realisticRunRecord } from '../testing/run-record-builder.js';
import { JsonReporter, readRunRecord, serializeRunRecord } from './json-reporter.js';

describe('run.json', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'json-reporter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through readRunRecord', async () => {
    const record = realisticRunRecord();
    const files = await new JsonReporter().write(record, dir);
    expect(files).toEqual([join(dir, 'run.json')]);
    expect(await readRunRecord(dir)).toEqual(record);
    expect(await readRunRecord(join(dir, 'run.json'))).toEqual(record);
    expect(await readdir(dir)).toEqual(['run.json']);
  });

  it('is pretty-printed with 2 spaces and a trailing newline, numbers as they are', async () => {
    const record = realisticRunRecord();
    const cell = record.cells[0];
    if (!cell) throw new Error('no cell');
    cell.errorBudget.consumedRatio = 1e9;
    cell.downtimeSeconds = 0.1 + 0.2;
    await new JsonReporter().write(record, dir);
    const text = await readFile(join(dir, 'run.json'), 'utf8');
    expect(text.startsWith('{\n  "schemaVersion": 1,\n  "runId": ')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('"consumedRatio": 1000000000,');
    expect(text).toContain('"downtimeSeconds": 0.30000000000000004,');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('refuses %s and names the field', async (_label, bad) => {
    const record = realisticRunRecord();
    const budget = record.cells[2]?.errorBudget;
    if (!budget) throw new Error('no cell');
    budget.consumedRatio = bad;
    expect(() => serializeRunRecord(record)).toThrow(
      `non-finite number at record.cells[2].errorBudget.consumedRatio (${bad})`,
    );
    await expect(new JsonReporter().write(record, dir)).rejects.toThrow('non-finite');
    expect(await readdir(dir)).toEqual([]);
  });

  it('finds non-finite numbers inside lists and maps', () => {
    const record = realisticRunRecord();
    const cell = record.cells[0];
    if (!cell) throw new Error('no cell');
    cell.latency.api = { count: 1, p50Ms: 1, p90Ms: 1, p99Ms: Number.NaN, maxMs: 1 };
    expect(() => serializeRunRecord(record)).toThrow('record.cells[0].latency.api.p99Ms');
  });

  describe('readRunRecord', () => {
    async function writeRunJson(content: unknown): Promise<void> {
      await writeFile(join(dir, 'run.json'), typeof content === 'string' ? content : JSON.stringify(content));
    }

    it('names the missing file', async () => {
      const missing = join(dir, 'nope');
      await expect(readRunRecord(missing)).rejects.toThrow(UsageError);
      await expect(readRunRecord(dir)).rejects.toThrow(`no run record at ${join(dir, 'run.json')}`);
    });

    it('rejects a file that is not JSON', async () => {
      await writeRunJson('{"schemaVersion": 1,');
      await expect(readRunRecord(dir)).rejects.toThrow(/run\.json is not valid JSON/);
    });

    it('rejects a document without schemaVersion', async () => {
      const { schemaVersion: _, ...rest } = realisticRunRecord();
      await writeRunJson(rest);
      await expect(readRunRecord(dir)).rejects.toThrow('has no schemaVersion');
      await writeRunJson([1, 2]);
      await expect(readRunRecord(dir)).rejects.toThrow('not a run record');
    });

    it('rejects an unsupported schemaVersion, naming the versions', async () => {
      const record = {
        ...realisticRunRecord(),
        schemaVersion: 2,
        tool: { name: 'upgrade-harness', version: '3.0.0' },
      };
      await writeRunJson(record);
      const error: unknown = await readRunRecord(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(
        /has schemaVersion 2 \(written by upgrade-harness 3\.0\.0\); this upgrade-harness reads schemaVersion 1$/,
      );
      expect((error as UsageError).hint).toBeDefined();
    });

    it('rejects a record without cells', async () => {
      const { cells: _, ...rest } = realisticRunRecord();
      await writeRunJson(rest);
      await expect(readRunRecord(dir)).rejects.toThrow('it lacks cells');
      await writeRunJson({ ...rest, cells: {} } satisfies Omit<RunRecord, 'cells'> & { cells: object });
      await expect(readRunRecord(dir)).rejects.toThrow('"cells" field that is not a list');
    });

    it('reads a run directory nested anywhere', async () => {
      const nested = join(dir, 'reports', 'run-1');
      await mkdir(nested, { recursive: true });
      await new JsonReporter().write(realisticRunRecord({ runId: 'run-1' }), nested);
      expect((await readRunRecord(nested)).runId).toBe('run-1');
    });
  });
});
