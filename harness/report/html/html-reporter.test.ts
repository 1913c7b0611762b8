import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import {
  buildRunRecord,
  downtimeFailedCell,
  erroredCell,
  inconclusiveCell,
  passedCell,
  realisticRunRecord,
} from '../../testing/run-record-builder.js';
import type { CellChartRenderer } from '../reporter.js';
import { HtmlReporter } from './html-reporter.js';
import { escapeHtml } from './html-text.js';
import { SORT_SCRIPT, scriptHash } from './sort-script.js';

/** A stand-in for echarts: one tiny chart per measured cell. */
const stubCharts: CellChartRenderer = (cell) =>
  cell.timeline
    ? [
        {
          name: 'rate-by-outcome',
          title: 'rate',
          svg: '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L1 1"/></svg>',
        },
      ]
    : [];

const EVIL = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

describe('HtmlReporter', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'html-reporter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function render(cells: CellRecord[] | undefined, renderer: CellChartRenderer = stubCharts) {
    const record = cells ? buildRunRecord({ cells }) : realisticRunRecord();
    const files = await new HtmlReporter({ renderer }).write(record, dir);
    expect(files).toEqual([join(dir, 'index.html')]);
    return { record, html: await readFile(join(dir, 'index.html'), 'utf8') };
  }

  it('escapes every string from the record', async () => {
    const cell = passedCell({ id: `cell-${EVIL}`, axes: { strategy: EVIL } });
    cell.checks = [{ ...cell.checks[0]!, passed: false, message: `downtime ${EVIL}` }];
    cell.status = 'failed';
    cell.reason = EVIL;
    cell.notes = [`note ${EVIL}`];
    cell.events = [{ at: cell.startedAt, kind: EVIL, message: EVIL }];
    cell.error = { phase: EVIL, message: EVIL };
    cell.downtime = [
      {
        sampler: EVIL,
        phase: EVIL,
        startedAt: cell.startedAt,
        endedAt: cell.startedAt + 1,
        seconds: 0.001,
        failedSamples: 1,
        failureClasses: {},
      },
    ];
    const { html } = await render([cell]);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    // Attribute values are quoted and escaped, so an event handler could only hide outside quotes.
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\sonerror=/);
    expect(html).toContain(
      'downtime &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;',
    );
    expect(html.split('&lt;script&gt;alert(1)').length - 1).toBeGreaterThanOrEqual(8);
  });

  it('puts cells that did not do what was expected first, then other failures, then passed', async () => {
    const { record, html } = await render(undefined);
    const [passed, downtime, expectedFailure, errored, rolledBack] = record.cells.map((c) => c.id);
    const expected = [downtime, errored, rolledBack, expectedFailure, passed];
    const sections = [...html.matchAll(/<section class="cell" id="cell-(\d+)">/g)].map(
      (m) => record.cells[Number(m[1])]?.id,
    );
    expect(sections).toEqual(expected);
    const rows = [...html.matchAll(/<tr data-order="\d+"[^>]*><td><a href="#cell-(\d+)"/g)].map(
      (m) => record.cells[Number(m[1])]?.id,
    );
    expect(rows).toEqual(expected);
    expect(html).toContain('✘ 3 of 5 cells not as expected');
  });

  it('links only to files that exist in the cell folder, relative to the page', async () => {
    const record = realisticRunRecord();
    const cell = record.cells[1]!;
    const folder = join(dir, cell.artifactsDir);
    await mkdir(join(folder, 'logs'), { recursive: true });
    await mkdir(join(folder, 'diagnostics'), { recursive: true });
    await writeFile(join(folder, 'cell.log'), 'log\n');
    await writeFile(join(folder, 'logs', 'web 1#?.log'), 'x');
    await writeFile(join(folder, 'diagnostics', 'pods.json'), '{}');
    await writeFile(join(folder, 'half.json.1234.tmp'), '');
    await writeFile(join(dir, 'secret.txt'), 'outside the cell');
    record.cells[0]!.artifactsDir = '..';
    await new HtmlReporter({ renderer: stubCharts }).write(record, dir);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const links = [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => m[1]);
    const base = cell.artifactsDir;
    expect(links).toEqual([
      `${base}/cell.log`,
      `${base}/diagnostics/pods.json`,
      `${base}/logs/web%201%23%3F.log`,
    ]);
    expect(html).toContain('No files found under');
  });

  it('is self-contained: nothing to fetch, one script allowed by its hash', async () => {
    const { html } = await render(undefined);
    expect(html).not.toMatch(/<link\b|<iframe\b|<img\b|\ssrc=|@import|url\((?!#)/);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).toContain(`script-src ${escapeHtml(scriptHash(SORT_SCRIPT))}`);
    expect(html).toContain(`<script>${SORT_SCRIPT}</script>`);
    expect(html).toContain('@media print');
  });

  it('inlines the charts of every measured cell and says when a cell has none', async () => {
    const { record, html } = await render(undefined);
    const measured = record.cells.filter((c) => c.timeline).length;
    expect(html.match(/<figure class="chart"/g)).toHaveLength(measured);
    expect(html).toContain('No timeline: nothing was measured in this cell.');
  });

  it("says where the charts would be when a cell's charts cannot be drawn, and draws the other cells", async () => {
    const renderer: CellChartRenderer = (cell, record) => {
      if (cell.id === 'broken') throw new Error('chart SVG is not self-contained: it has a script');
      return stubCharts(cell, record);
    };
    const cells = [passedCell({ id: 'broken' }), passedCell({ id: 'fine' })];
    const { html } = await render(cells, renderer);
    const sections = html.split('<section class="cell"').slice(1);
    const [broken, fine] = cells.map((c) => sections.find((s) => s.includes(`>${c.id}</span>`)) ?? '');
    expect(broken).toContain(
      '<p class="error">charts could not be drawn: chart SVG is not self-contained: it has a script</p>',
    );
    expect(broken).not.toContain('<figure');
    expect(fine).toContain('<figure class="chart"');
  });

  it('tells a record without a timeline from a cell that measured nothing', async () => {
    const older = passedCell({ id: 'older-record' });
    delete older.timeline;
    const { html } = await render([older, erroredCell()]);
    expect(html).toContain('No timeline in this record');
    expect(html).toContain('No timeline: nothing was measured in this cell.');
  });

  it('says under the charts what the red band is, for a cell with downtime', async () => {
    const { html } = await render([downtimeFailedCell(), passedCell()]);
    const note = 'Red in the charts: time when any sampler saw downtime, in any phase (rollback included).';
    expect(html.split(note)).toHaveLength(2);
  });

  it('gives the reason under the badge of every cell that did not pass, long errors shortened', async () => {
    const long = `platform "local" could not start: ${'x'.repeat(300)} (the end)`;
    const errored = erroredCell({ id: 'errored' });
    errored.reason = long;
    const { html } = await render([errored, inconclusiveCell({ id: 'inconclusive' }), passedCell()]);
    const rows = [...html.matchAll(/<tr data-order[^>]*>(.*?)<\/tr>/g)].map((m) => m[1] ?? '');
    const row = (id: string) => rows.find((r) => r.includes(`>${id}</a>`)) ?? '';
    expect(row('errored')).toMatch(
      /<span class="reason" title="[^"]*\(the end\)">platform &quot;local&quot; could not start: x+…<\/span>/,
    );
    expect(row('errored')).not.toMatch(/>[^<]*\(the end\)/);
    expect(row('inconclusive')).toContain('<span class="reason">load</span>');
    expect(rows.filter((r) => r.includes('class="reason"'))).toHaveLength(2);
  });

  it('shows failing checks with value and limit, passing ones collapsed, and the load self-check', async () => {
    const { record, html } = await render(undefined);
    const downtime = record.cells[1]!;
    const failing = downtime.checks.find((c) => c.name === 'downtime' && !c.passed);
    expect(failing).toBeDefined();
    expect(html).toContain(
      `<td class="num">6.515</td><td class="num">0</td><td class="msg">${escapeHtml(failing?.message ?? '')}</td>`,
    );
    expect(html).toMatch(/<details><summary>3 passing checks<\/summary>/);
    expect(html).toContain('<b>Load</b> ok — achieved 99.8 of 100 req/s');
  });

  it('names the shard and the merged runs in the header', async () => {
    const record = realisticRunRecord();
    record.shard = { index: 2, count: 3 };
    record.mergedFrom = [{ runId: 'run-<a>', dir: 'x', host: record.host }];
    await new HtmlReporter({ renderer: stubCharts }).write(record, dir);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<dt>shard</dt><dd>2 of 3</dd>');
    expect(html).toContain('<dt>merged from</dt><dd>run-&lt;a&gt;</dd>');
  });

  it('writes the same bytes for the same record', async () => {
    const first = (await render(undefined)).html;
    expect((await render(undefined)).html).toBe(first);
  });
});
