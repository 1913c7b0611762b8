import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../common/run-record.js';
import {
  assertChromiumInstalled,
  checkReportInBrowser,
  withReportPage,
} from '../../testing/report-browser.js';
import { realisticRunRecord } from '../../testing/run-record-builder.js';
import { ChartsReporter } from '../charts/charts-reporter.js';
import { HtmlReporter } from './html-reporter.js';

/** Kept after the run (and replaced by the next one) so the screenshot can be looked at. */
const OUTPUT_DIR = join(tmpdir(), 'upgrade-harness-html-browser');
const BROWSER_TIMEOUT_MS = 120_000;

describe('the HTML report in headless Chromium', () => {
  let record: RunRecord;
  let indexHtml = '';

  beforeAll(async () => {
    await rm(OUTPUT_DIR, { recursive: true, force: true });
    await mkdir(OUTPUT_DIR, { recursive: true });
    record = realisticRunRecord();
    for (const cell of record.cells) {
      await mkdir(join(OUTPUT_DIR, cell.artifactsDir, 'logs'), { recursive: true });
      await writeFile(join(OUTPUT_DIR, cell.artifactsDir, 'cell.log'), `log of ${cell.id}\n`);
      await writeFile(join(OUTPUT_DIR, cell.artifactsDir, 'logs', 'web-1.log'), 'ready\n');
    }
    await new ChartsReporter({ pngWidthPx: 960 }).write(record, OUTPUT_DIR);
    [indexHtml = ''] = await new HtmlReporter().write(record, OUTPUT_DIR);
  }, BROWSER_TIMEOUT_MS);

  it(
    'opens from file:// without errors or requests elsewhere, every measured cell with its charts drawn',
    async () => {
      const screenshot = join(OUTPUT_DIR, 'screenshot.png');
      const result = await checkReportInBrowser(indexHtml, screenshot);
      console.log(`screenshot of the HTML report: ${screenshot}`);
      expect(result.consoleErrors).toEqual([]);
      expect(result.externalRequests).toEqual([]);
      expect(result.cells).toBe(record.cells.length);
      expect(result.cellsWithCharts).toBe(record.cells.filter((c) => c.timeline).length);
      expect(result.cellsWithCharts).toBeGreaterThanOrEqual(4);
      const png = await readFile(screenshot);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect((await stat(screenshot)).size).toBeGreaterThan(50_000);
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'sorts the matrix by the clicked column, both ways, blanks last',
    async () => {
      await withReportPage(indexHtml, async (page, observed) => {
        const column = page.locator('table.overview tbody td:nth-child(6)');
        const header = page.locator('table.overview thead th').nth(5);
        await expect(header.textContent()).resolves.toBe('downtime s');
        const sortValues = async () =>
          Promise.all((await column.all()).map(async (td) => (await td.getAttribute('data-sort')) ?? ''));
        const before = await sortValues();
        const numbers = before.filter((v) => v !== '').map(Number);

        await header.locator('button').click();
        await expect(header.getAttribute('aria-sort')).resolves.toBe('ascending');
        const ascending = await sortValues();
        expect(ascending).toEqual([...numbers.sort((a, b) => a - b).map(String), '']);
        expect(ascending).not.toEqual(before);

        await header.locator('button').click();
        await expect(header.getAttribute('aria-sort')).resolves.toBe('descending');
        expect(await sortValues()).toEqual([...numbers.sort((a, b) => b - a).map(String), '']);
        expect(observed.consoleErrors).toEqual([]);
      });
    },
    BROWSER_TIMEOUT_MS,
  );

  it(
    'notices console errors and requests that leave file:// (and blocks them)',
    async () => {
      const page = join(OUTPUT_DIR, 'leaky.html');
      await writeFile(
        page,
        '<!doctype html><title>leaky</title><img src="http://127.0.0.1:9/pixel.png"><script>console.error("boom")</script>',
      );
      const result = await checkReportInBrowser(page, join(OUTPUT_DIR, 'leaky.png'));
      expect(result.externalRequests).toEqual(['http://127.0.0.1:9/pixel.png']);
      expect(result.consoleErrors).toContain('boom');
      expect(result.cells).toBe(0);
    },
    BROWSER_TIMEOUT_MS,
  );

  it('names the install command when Chromium is missing', async () => {
    await expect(assertChromiumInstalled('/nonexistent/chromium')).rejects.toThrow(
      'apt-get install -y chromium',
    );
  });
});
