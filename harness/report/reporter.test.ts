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
  it('holds every built-in reporter', () => {
    const registry = createReporterRegistry();
    expect(registry.names()).toEqual([...DEFAULT_REPORTERS].sort());
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
      new UsageError('unknown reporter "htlm" (known: allure, charts, html, json, junit, markdown)'),
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
    // run.json first, the chart files before the html report that links them
    expect(files.slice(0, 3)).toEqual(['run.json', 'junit.xml', 'summary.md'].map((f) => join(dir, f)));
    const html = files.indexOf(join(dir, 'index.html'));
    const lastChart = files.findLastIndex((f) => f.endsWith('.png'));
    expect(lastChart).toBeGreaterThan(2);
    expect(html).toBeGreaterThan(lastChart);
    expect(files.some((f) => f.includes('allure-results'))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([
      'allure-results',
      'cells',
      'index.html',
      'junit.xml',
      'run.json',
      'summary.md',
    ]);
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
