import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraError, UsageError } from '../common/errors.js';
import { realisticRunRecord } from '../testing/run-record-builder.js';
import { createReporterRegistry, DEFAULT_REPORTERS, type Reporter, writeReports } from './reporter.js';

function failingReporter(name: string): Reporter {
  return {
    name,
    write: () => Promise.reject(new Error('disk full')),
  };
}

describe('reporter registry', () => {
  it('holds json, junit and markdown', () => {
    const registry = createReporterRegistry();
    expect(registry.names()).toEqual([...DEFAULT_REPORTERS]);
    expect(DEFAULT_REPORTERS.map((name) => registry.get(name).name)).toEqual([...DEFAULT_REPORTERS]);
  });

  it('refuses a name registered twice', () => {
    const registry = createReporterRegistry();
    expect(() => registry.register('junit', () => failingReporter('junit'))).toThrow(
      'reporter "junit" is registered twice',
    );
  });

  it('names the known reporters when asked for an unknown one', () => {
    expect(() => createReporterRegistry().get('htlm')).toThrow(
      new UsageError('unknown reporter "htlm" (known: json, junit, markdown)'),
    );
  });
});

describe('writeReports', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'write-reports-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every default report and returns the files', async () => {
    const files = await writeReports(realisticRunRecord(), dir);
    expect(files).toEqual(['run.json', 'junit.xml', 'summary.md'].map((f) => join(dir, f)));
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'run.json', 'summary.md']);
  });

  it('writes only the named reports', async () => {
    const files = await writeReports(realisticRunRecord(), dir, ['markdown']);
    expect(files).toEqual([join(dir, 'summary.md')]);
    expect(await readdir(dir)).toEqual(['summary.md']);
  });

  it('fails on an unknown name before writing anything', async () => {
    await expect(writeReports(realisticRunRecord(), dir, ['json', 'nope'])).rejects.toThrow(UsageError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes the other reports when one fails, then throws naming it', async () => {
    const registry = createReporterRegistry().register('broken', () => failingReporter('broken'));
    const error: unknown = await writeReports(realisticRunRecord(), dir, ['broken', 'json'], registry).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toBe(`could not write reports to ${dir}: broken: disk full`);
    expect(await readdir(dir)).toEqual(['run.json']);
  });
});
