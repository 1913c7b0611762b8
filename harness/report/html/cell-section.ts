import type { CellRecord } from '../../common/run-record.js';
import { CHARTS_DIR } from '../charts/cell-dir.js';
import { describeOutcome } from '../format.js';
import type { CellChart } from '../reporter.js';
import {
  type ArtifactFile,
  checksTable,
  dataIntegrityLine,
  downtimeDetails,
  eventsDetails,
  filesList,
  loadLine,
  notesList,
  phasesDetails,
  rollbackLine,
} from './cell-details.js';
import { escapeHtml, relativeHref } from './html-text.js';
import { kubernetesDetails } from './kube-section.js';
import { cellAnchor, expectationHtml, statusBadge } from './overview.js';

/** What a cell's section shows besides its record: charts already rendered, files that exist. */
export interface CellView {
  cell: CellRecord;
  /** Position in the record's cells (names the anchor). */
  index: number;
  charts: readonly CellChart[];
  files: readonly ArtifactFile[];
  /** Why the charts could not be drawn (said where they would be). */
  chartsError?: string;
}

export function renderCellSection(view: CellView): string {
  const { cell } = view;
  const judged = cell.status === 'passed' || cell.status === 'failed';
  const failing = cell.checks.filter((c) => !c.passed);
  const passing = cell.checks.filter((c) => c.passed);
  const parts = [
    `<section class="cell" id="${cellAnchor(view.index)}">`,
    `<h2>${statusBadge(cell.status)} <span class="cell-id">${escapeHtml(cell.id)}</span></h2>`,
    `<p><b>${escapeHtml(describeOutcome(cell))}</b> — ${expectationHtml(cell)}</p>`,
    axesLine(cell),
    problemLine(cell, judged),
  ];
  if (failing.length > 0) {
    const note = judged ? '' : ' <span class="muted">(not judged: the cell did not run to a verdict)</span>';
    parts.push(`<h3>Failing checks${note}</h3>`, checksTable(failing));
  }
  if (passing.length > 0) {
    parts.push(
      `<details><summary>${escapeHtml(String(passing.length))} passing check${passing.length === 1 ? '' : 's'}</summary>`,
      checksTable(passing),
      '</details>',
    );
  }
  if (cell.checks.length === 0) parts.push('<p class="muted">No checks were made.</p>');
  parts.push(chartsBlock(view));
  if (cell.requests.total > 0 || cell.load.scheduled > 0) parts.push(loadLine(cell));
  parts.push(
    rollbackLine(cell),
    dataIntegrityLine(cell),
    downtimeDetails(cell),
    phasesDetails(cell),
    eventsDetails(cell),
    kubernetesDetails(cell),
    notesList(cell),
    filesList(cell, view.files),
    '</section>',
  );
  return parts.filter((p) => p !== '').join('\n');
}

function axesLine(cell: CellRecord): string {
  const items = Object.entries(cell.axes).map(
    ([k, v]) => `<span>${escapeHtml(k)} <b>${escapeHtml(v)}</b></span>`,
  );
  return items.length > 0 ? `<div class="axes">${items.join('')}</div>` : '';
}

/** The error of a cell that stopped, or the reason of one that was not judged. */
function problemLine(cell: CellRecord, judged: boolean): string {
  if (cell.error) {
    return `<p class="error">error in phase <b>${escapeHtml(cell.error.phase)}</b>: ${escapeHtml(cell.error.message)}</p>`;
  }
  if (!judged && cell.reason) return `<p class="error">${escapeHtml(cell.reason)}</p>`;
  return '';
}

function chartsBlock(view: CellView): string {
  const { cell } = view;
  if (view.chartsError !== undefined) {
    return `<h3>Timeline</h3><p class="error">${escapeHtml(view.chartsError)}</p>`;
  }
  if (view.charts.length === 0) {
    const hasTimeline = (cell.timeline?.buckets.length ?? 0) > 0;
    return !hasTimeline && cell.requests.total > 0
      ? '<p class="muted">No timeline in this record: it counts requests but keeps no timeline to draw (records written by older versions have none).</p>'
      : '<p class="muted">No timeline: nothing was measured in this cell.</p>';
  }
  const figures = view.charts.map(
    (c) =>
      `<figure class="chart" data-chart="${escapeHtml(c.name)}">${c.svg}${chartFileLinks(view, c.name)}</figure>`,
  );
  const downtime = cell.downtime.length > 0 ? `<p class="muted">${escapeHtml(DOWNTIME_BAND_NOTE)}</p>` : '';
  return `<h3>Timeline</h3>${downtime}<div class="charts">\n${figures.join('\n')}\n</div>`;
}

/** The red band and the downtime figure measure different things; the page says how. */
const DOWNTIME_BAND_NOTE =
  'Red in the charts: time when any sampler saw downtime, in any phase (rollback included). ' +
  'The downtime figure of the cell is the worst single sampler from the start of the upgrade to the end of settle.';

/** Links to the chart's PNG and SVG files when the charts reporter wrote them. */
function chartFileLinks(view: CellView, name: string): string {
  const base = `${view.cell.artifactsDir.replace(/\/+$/, '')}/${CHARTS_DIR}/${name}`;
  const links = ['png', 'svg']
    .map((ext) => view.files.find((f) => f.path === `${base}.${ext}`))
    .filter((f) => f !== undefined)
    .map(
      (f) =>
        `<a href="${escapeHtml(relativeHref(f.path))}">${escapeHtml(f.path.slice(f.path.lastIndexOf('.') + 1).toUpperCase())}</a>`,
    );
  return links.length > 0 ? `<figcaption class="no-print">${links.join(' · ')}</figcaption>` : '';
}
