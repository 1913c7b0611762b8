import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import { buildRunRecord, passedCell } from '../../testing/run-record-builder.js';
import type { CellChartRenderer } from '../reporter.js';
import { HtmlReporter } from './html-reporter.js';

/** run.json files come from CI downloads (merge-reports, report): the page must not trust them. */
const noCharts: CellChartRenderer = () => [];

const EVIL_STATUS = 'passed"><a href="https://evil.example/">x';
const EVIL_NUMBER = '<meta http-equiv="refresh" content="0;url=https://evil.example/">';

/** A cell whose typed fields hold markup where the types promise enums and numbers. */
function craftedCell(): CellRecord {
  const cell = passedCell({ id: 'crafted' });
  const loose = cell as unknown as Record<string, unknown> & {
    requests: Record<string, unknown>;
    downtime: Array<Record<string, unknown>>;
    checks: Array<Record<string, unknown>>;
  };
  loose.status = EVIL_STATUS;
  loose.reason = EVIL_NUMBER;
  loose.matchedExpectation = false;
  loose.downtimeSeconds = EVIL_NUMBER;
  loose.requests.failed = EVIL_NUMBER;
  loose.downtime = [
    {
      sampler: 'web',
      phase: 'upgrade',
      startedAt: cell.startedAt,
      endedAt: cell.startedAt + 1000,
      seconds: EVIL_NUMBER,
      failedSamples: EVIL_NUMBER,
      failureClasses: { refused: EVIL_NUMBER },
    },
  ];
  const firstCheck = loose.checks[0];
  if (firstCheck) firstCheck.category = EVIL_STATUS;
  return cell;
}

describe('the HTML report from an untrusted run.json', () => {
  let dir = '';
  let outside = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'html-untrusted-'));
    outside = await mkdtemp(join(tmpdir(), 'html-outside-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  async function page(cells: CellRecord[]): Promise<string> {
    await new HtmlReporter({ renderer: noCharts }).write(buildRunRecord({ cells }), dir);
    return readFile(join(dir, 'index.html'), 'utf8');
  }

  it('puts no live markup on the page from status, numbers or categories', async () => {
    const html = await page([craftedCell(), passedCell({ id: 'plain' })]);
    expect(html).not.toContain('<a href="https://evil.example/"');
    expect(html).not.toMatch(/<meta http-equiv="refresh"/i);
    // Every link on the page is to an anchor or a file of the run; every meta tag is the page's own.
    for (const [, href] of html.matchAll(/<a\b[^>]*\shref="([^"]*)"/g)) expect(href).not.toMatch(/^[a-z]+:/i);
    expect(html.match(/<meta\b/g)).toHaveLength(3);
    // Class names come from a list the page knows; an unknown status gets a neutral badge.
    for (const [, classes] of html.matchAll(/\sclass="([^"]*)"/g)) expect(classes).toMatch(/^[a-z0-9 -]*$/);
    expect(html).toContain(
      '<span class="badge s-unknown">passed&quot;&gt;&lt;a href=&quot;https://evil.example/&quot;&gt;x</span>',
    );
    // The failed / total column, shown as text.
    expect(html).toContain(
      '&lt;meta http-equiv=&quot;refresh&quot; content=&quot;0;url=https://evil.example/&quot;&gt; / ',
    );
  });

  it('lists no file of a cell folder that is a link out of the run directory', async () => {
    const cell = passedCell({ id: 'linked' });
    await writeFile(join(outside, 'cell.log'), 'secret\n');
    await mkdir(join(dir, cell.artifactsDir, '..'), { recursive: true });
    await symlink(outside, join(dir, cell.artifactsDir));
    const html = await page([cell]);
    expect(html).not.toContain('cell.log');
    expect(html).toContain('No files found under');
  });

  it('skips links inside a cell folder, to files and to folders', async () => {
    const cell = passedCell({ id: 'links-inside' });
    const folder = join(dir, cell.artifactsDir);
    await mkdir(join(outside, 'logs'), { recursive: true });
    await writeFile(join(outside, 'secret.log'), 'secret\n');
    await writeFile(join(outside, 'logs', 'other.log'), 'secret\n');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'cell.log'), 'log\n');
    await symlink(join(outside, 'secret.log'), join(folder, 'secret.log'));
    await symlink(join(outside, 'logs'), join(folder, 'logs'));
    await symlink(join(folder, 'cell.log'), join(folder, 'same.log'));
    const html = await page([cell]);
    const links = [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => m[1]);
    expect(links).toEqual([`${cell.artifactsDir}/cell.log`]);
  });
});
