/**
 * Opens an HTML report in real headless Chromium (Debian's, see COMPAT.md) the way a person would
 * from disk, and reports what a person would notice: console errors, anything fetched from outside
 * file://, cells whose charts are missing or empty. Requests that leave file:// are aborted.
 */

import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
/** A laptop screen. */
const VIEWPORT = { width: 1366, height: 900 };
const LAUNCH_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 60_000;

export interface ReportBrowserCheck {
  consoleErrors: string[];
  externalRequests: string[];
  /** Cells whose every chart is an SVG with drawn paths and a non-empty box (cells without charts do not count). */
  cellsWithCharts: number;
  cells: number;
}

export interface PageObservations {
  consoleErrors: string[];
  externalRequests: string[];
}

/** Throws, naming the install command, when Debian's Chromium is missing. */
export async function assertChromiumInstalled(executablePath = CHROMIUM_PATH): Promise<void> {
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium is not installed at ${executablePath}; install it with \`apt-get install -y chromium\` (see COMPAT.md)`,
    );
  }
}

/** Loads the report from disk in a fresh browser, runs `use`, and always closes the browser. */
export async function withReportPage<T>(
  indexHtmlPath: string,
  use: (page: Page, observed: PageObservations) => Promise<T>,
): Promise<T> {
  await assertChromiumInstalled();
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const observed: PageObservations = { consoleErrors: [], externalRequests: [] };
    page.on('console', (message) => {
      if (message.type() === 'error') observed.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => observed.consoleErrors.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) observed.externalRequests.push(request.url());
    });
    await page.route('**/*', async (route) => {
      if (route.request().url().startsWith('file:')) await route.continue();
      else await route.abort('blockedbyclient');
    });
    await page.goto(pathToFileURL(indexHtmlPath).href, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    return await use(page, observed);
  } finally {
    await browser.close();
  }
}

/** Opens the report, counts cells and cells with drawn charts, and writes a full-page screenshot. */
export async function checkReportInBrowser(
  indexHtmlPath: string,
  screenshotPath: string,
): Promise<ReportBrowserCheck> {
  return withReportPage(indexHtmlPath, async (page, observed) => {
    const sections = page.locator('section.cell');
    const cells = await sections.count();
    let cellsWithCharts = 0;
    for (let i = 0; i < cells; i++) {
      if (await chartsDrawn(page, i)) cellsWithCharts++;
    }
    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return {
      consoleErrors: [...observed.consoleErrors],
      externalRequests: [...observed.externalRequests],
      cellsWithCharts,
      cells,
    };
  });
}

async function chartsDrawn(page: Page, cellIndex: number): Promise<boolean> {
  const charts = page.locator('section.cell').nth(cellIndex).locator('figure.chart > svg');
  const count = await charts.count();
  if (count === 0) return false;
  for (let i = 0; i < count; i++) {
    const svg = charts.nth(i);
    const box = await svg.boundingBox();
    if (!box || box.width < 1 || box.height < 1) return false;
    const paths = svg.locator('path');
    if ((await paths.count()) === 0) return false;
    const pathBox = await paths.last().boundingBox();
    if (!pathBox || pathBox.width + pathBox.height < 1) return false;
  }
  return true;
}
