import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../common/run-record.js';
import { generateAllureSite } from '../testing/allure-site.js';
import { checkReportInBrowser } from '../testing/report-browser.js';
import { runMatrixFile } from '../testing/run-matrix-file.js';

/** The demo matrix, run for real: the acceptance checks of the project's first issue. */
describe('demo matrix (reference app, local platform)', () => {
  let out: string;
  let record: RunRecord;
  const cell = (from: string, to: string, strategy: string): CellRecord => {
    const found = record.cells.find(
      (c) => c.axes.from === from && c.axes.to === to && c.axes.strategy === strategy,
    );
    if (!found)
      throw new Error(`no cell ${from}→${to} ${strategy} in ${record.cells.map((c) => c.id).join(', ')}`);
    return found;
  };

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'uh-demo-'));
    ({ record } = await runMatrixFile('matrices/demo.yaml', { outDir: out, runId: 'demo' }));
  }, 300_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('matches every expectation, so the run exits 0', () => {
    expect(record.cells).toHaveLength(4);
    for (const c of record.cells)
      expect(c.matchedExpectation, `${c.id}: ${c.status} ${c.reason ?? ''}`).toBe(true);
    expect(record.exitCode).toBe(0);
  });

  it('1.0.0 → 1.1.0 rolling passes with no downtime and no failed request', () => {
    const c = cell('1.0.0', '1.1.0', 'rolling');
    expect(c.status).toBe('passed');
    expect(c.downtimeSeconds).toBe(0);
    expect(c.requests.failed).toBe(0);
    expect(c.requests.total).toBeGreaterThan(300);
    expect(c.versions.servedBy['1.1.0']).toBeGreaterThan(0);
    expect(c.rollback).toMatchObject({ attempted: true, succeeded: true });
  });

  it('1.0.0 → 1.1.0 recreate fails on downtime', () => {
    const c = cell('1.0.0', '1.1.0', 'recreate');
    expect(c.status).toBe('failed');
    expect(c.downtimeSeconds).toBeGreaterThan(0);
    const check = c.checks.find((k) => k.name === 'downtime')!;
    expect(check.passed).toBe(false);
    expect(check.message).toMatch(/downtime [\d.]+ s > 0 s/);
  });

  it('1.1.0 → 2.0.0 rolling fails on the error budget, naming the failure class and the window', () => {
    const c = cell('1.1.0', '2.0.0', 'rolling');
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^error-budget/);
    const check = c.checks.find((k) => k.category === 'error-budget')!;
    expect(check.passed).toBe(false);
    expect(check.message).toContain('http_5xx');
    expect(check.message).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    expect(c.errorBudget.failureClasses.http_5xx).toBeGreaterThan(0);
  });

  it('1.1.0 → 2.0.1 fails to upgrade and rolls back', () => {
    const c = cell('1.1.0', '2.0.1', 'rolling');
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^upgrade-failed/);
    expect(c.rollback.attempted).toBe(true);
    expect(c.rollback.succeeded).toBe(true);
    expect(c.checks.find((k) => k.name === 'upgrade')?.message).toMatch(/did not become ready/);
  });

  it('loses no acknowledged write in any cell', () => {
    for (const c of record.cells) {
      expect(c.dataIntegrity.acknowledged, c.id).toBeGreaterThan(10);
      expect(c.dataIntegrity.lost, c.id).toBe(0);
    }
  });

  it('writes run.json, junit.xml and summary.md, and each cell folder has its logs', async () => {
    const onDisk = JSON.parse(await readFile(join(out, 'demo', 'run.json'), 'utf8')) as RunRecord;
    expect(onDisk.cells.map((c) => c.id)).toEqual(record.cells.map((c) => c.id));
    const junit = await readFile(join(out, 'demo', 'junit.xml'), 'utf8');
    expect(junit).toContain('<testsuites');
    expect(junit).toContain('failures="0"');
    const summary = await readFile(join(out, 'demo', 'summary.md'), 'utf8');
    expect(summary).toContain('4 of 4 cells as expected');
    const c = cell('1.0.0', '1.1.0', 'rolling');
    const hooks = await readFile(join(out, 'demo', c.artifactsDir, 'logs', 'hooks.log'), 'utf8');
    expect(hooks).toContain('migrate.mjs');
  });

  it("opens the demo's index.html in headless Chromium: no console error, nothing fetched, every cell's charts drawn", async () => {
    const shot = join(tmpdir(), 'upgrade-harness-demo-report.png');
    const seen = await checkReportInBrowser(join(out, 'demo', 'index.html'), shot);
    expect(seen.consoleErrors).toEqual([]);
    expect(seen.externalRequests).toEqual([]);
    expect(seen.cells).toBe(4);
    expect(seen.cellsWithCharts).toBe(4);
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    // the publication plots sit in each cell's folder
    for (const c of record.cells)
      for (const name of ['rate-by-outcome', 'latency', 'version-share'])
        for (const ext of ['svg', 'png'])
          expect(
            (await stat(join(out, 'demo', c.artifactsDir, 'charts', `${name}.${ext}`))).size,
          ).toBeGreaterThan(1000);
  }, 60_000);

  it("builds an Allure site from the demo's allure-results with the real Allure CLI", async () => {
    const site = join(out, 'allure-report');
    await generateAllureSite(join(out, 'demo', 'allure-results'), site);
    expect((await stat(join(site, 'index.html'))).isFile()).toBe(true);
  }, 180_000);

  it('never writes a password into a report or log', async () => {
    const files = (await readdir(join(out, 'demo'), { recursive: true, withFileTypes: true }))
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      // a URL with credentials is only ever written with the password masked
      expect(text, file).not.toMatch(/postgres(?:ql)?:\/\/[^:/\s]+:(?!\*\*\*@)[^@\s]+@/);
      expect(text, file).not.toMatch(/PGPASSWORD=(?!\*)/);
    }
  });

  it('leaves no work folder of any cell behind', async () => {
    const left = (await readdir(tmpdir())).filter((name) =>
      record.cells.some((c) => name.startsWith(`upgrade-harness-${c.id.slice(0, 40)}-`)),
    );
    expect(left).toEqual([]);
  });
});
