import type { RunRecord } from '../../common/run-record.js';
import type { CellChart } from '../reporter.js';
import type { ArtifactFile } from './cell-details.js';
import { renderCellSection } from './cell-section.js';
import { HTML_STYLE } from './html-style.js';
import { escapeHtml, formatUtc } from './html-text.js';
import { renderHeader, renderOverview, reportOrder } from './overview.js';
import { SORT_SCRIPT, scriptHash } from './sort-script.js';

/** What the page shows of each cell besides the record, in the record's cell order. */
export interface CellExtras {
  charts: readonly CellChart[];
  files: readonly ArtifactFile[];
  /** Why the cell's charts could not be drawn (then `charts` is empty). */
  chartsError?: string;
}

/**
 * The whole report as one HTML document: nothing is fetched (a Content-Security-Policy forbids it),
 * so it works from file:// and as a CI artifact. Pure: the same inputs give the same bytes.
 */
export function renderHtmlReport(record: RunRecord, extras: readonly CellExtras[]): string {
  const ordered = reportOrder(record.cells);
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${scriptHash(SORT_SCRIPT)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const sections = ordered.map(({ cell, index }) => {
    const chartsError = extras[index]?.chartsError;
    return renderCellSection({
      cell,
      index,
      charts: extras[index]?.charts ?? [],
      files: extras[index]?.files ?? [],
      ...(chartsError === undefined ? {} : { chartsError }),
    });
  });
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`upgrade-harness: ${record.matrix.name} — ${record.runId}`)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    renderHeader(record),
    renderOverview(ordered),
    ...sections,
    `<footer>${escapeHtml(`written from run.json of run ${record.runId} (${formatUtc(record.endedAt)})`)}</footer>`,
    '</main>',
    `<script>${SORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
