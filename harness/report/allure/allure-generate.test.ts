import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import { generateAllureSite } from '../../testing/allure-site.js';
import {
  buildRunRecord,
  cellStart,
  inconclusiveCell,
  realisticRunRecord,
  unexpectedPassCell,
} from '../../testing/run-record-builder.js';
import { ALLURE_RESULTS_DIR, AllureReporter } from './allure-reporter.js';
import { cellTitle } from './allure-test-result.js';

/**
 * The real Allure 3 CLI (node_modules/allure, pinned) turns the results into a site. What is read
 * back below (summary.json, data/test-results, widgets/categories.json) is that version's output.
 */
interface SiteTest {
  name: string;
  fullName?: string;
  status: string;
  parameters: Array<{ name: string; value: string }>;
  attachments: Array<{ link: { name: string; missed: boolean } }>;
}

let dir: string;
let record: RunRecord;
let site: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allure-generate-'));
  const base = realisticRunRecord();
  record = buildRunRecord({
    cells: [
      ...base.cells,
      inconclusiveCell({ startedAt: cellStart(5), axes: { profile: 'xl' } }),
      unexpectedPassCell({ startedAt: cellStart(6), axes: { profile: 'tiny' } }),
    ],
  });
  const logged = record.cells[1] as CellRecord;
  await mkdir(join(dir, logged.artifactsDir), { recursive: true });
  await writeFile(join(dir, logged.artifactsDir, 'cell.log'), 'upgrade started\n');
  const reporter = new AllureReporter({
    charts: (cell) => [
      {
        name: 'rate',
        title: 'Request rate',
        svg: `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>${cell.id}</title></svg>`,
      },
    ],
  });
  await reporter.write(record, dir);
  site = join(dir, 'allure-report');
  await generateAllureSite(join(dir, ALLURE_RESULTS_DIR), site, { reportName: 'upgrade-harness demo' });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function siteTests(): Promise<SiteTest[]> {
  const folder = join(site, 'data', 'test-results');
  const files = await readdir(folder);
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(folder, f), 'utf8')) as SiteTest));
}

describe('npx allure generate on the results', () => {
  it('builds a site with an index.html', async () => {
    expect((await stat(join(site, 'index.html'))).size).toBeGreaterThan(0);
    const summary = JSON.parse(await readFile(join(site, 'summary.json'), 'utf8')) as {
      name: string;
      stats: Record<string, number>;
    };
    expect(summary.name).toBe('upgrade-harness demo');
    expect(summary.stats).toEqual({ total: 7, passed: 2, failed: 3, broken: 2 });
  });

  it('shows every cell with its status, parameters and attachments', async () => {
    const tests = await siteTests();
    expect(tests).toHaveLength(record.cells.length);
    const expected = ['passed', 'failed', 'passed', 'broken', 'failed', 'broken', 'failed'];
    record.cells.forEach((cell, i) => {
      const test = tests.find((t) => t.fullName === `demo/${cell.id}`);
      expect(test?.name).toBe(cellTitle(cell));
      expect(test?.status).toBe(expected[i]);
      expect(test?.parameters).toContainEqual({
        name: 'strategy',
        value: cell.axes.strategy,
        hidden: false,
        excluded: false,
        masked: false,
      });
      const attached = (test?.attachments ?? []).map((a) => a.link);
      expect(attached.map((a) => a.name)).toEqual(
        expect.arrayContaining(['cell record (run.json)', 'chart: Request rate']),
      );
      expect(attached.every((a) => !a.missed)).toBe(true);
      expect(attached.some((a) => a.name === 'cell.log')).toBe(i === 1);
    });
  });

  it('files the failed and broken cells under the harness categories', async () => {
    const widget = JSON.parse(await readFile(join(site, 'widgets', 'categories.json'), 'utf8')) as {
      nodes: Record<string, { type: string; name: string; statistic: { total: number } }>;
    };
    const categories = Object.values(widget.nodes)
      .filter((n) => n.type === 'category')
      .map((n) => [n.name, n.statistic.total]);
    expect(Object.fromEntries(categories)).toEqual({
      Infrastructure: 1,
      'Load generator (inconclusive)': 1,
      'Upgrade failed': 1,
      Downtime: 1,
      'Expectation not met': 1,
    });
  });
});

describe('generateAllureSite with singleFile', () => {
  it('writes one index.html that holds the results', async () => {
    const out = join(dir, 'allure-single');
    await generateAllureSite(join(dir, ALLURE_RESULTS_DIR), out, { singleFile: true });
    expect((await readdir(out)).filter((f) => f.endsWith('.html'))).toEqual(['index.html']);
    expect((await stat(join(out, 'index.html'))).size).toBeGreaterThan(100_000);
    await expect(stat(join(out, 'data'))).rejects.toThrow();
  }, 180_000);
});
