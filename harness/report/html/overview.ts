import type { CellRecord, CellStatus, RunRecord } from '../../common/run-record.js';
import {
  describeExpectation,
  describeOutcome,
  expectsNonPass,
  formatBudget,
  formatCount,
  formatDuration,
  formatRollback,
  formatSeconds,
  UNBOUNDED_RATIO,
} from '../format.js';
import { escapeHtml, formatUtc } from './html-text.js';

/** A cell in report order, with its place in the record (which names its anchor). */
export interface OrderedCell {
  cell: CellRecord;
  index: number;
}

/** Cells that did not do what the matrix expected first, then other non-passed ones, then passed. */
export function reportOrder(cells: readonly CellRecord[]): OrderedCell[] {
  const rank = (c: CellRecord) => (!c.matchedExpectation ? 0 : c.status !== 'passed' ? 1 : 2);
  return cells
    .map((cell, index) => ({ cell, index }))
    .sort((a, b) => rank(a.cell) - rank(b.cell) || a.index - b.index);
}

export function cellAnchor(index: number): string {
  return `cell-${index}`;
}

export function statusBadge(status: CellStatus): string {
  return `<span class="badge s-${status}">${escapeHtml(status)}</span>`;
}

/** `✔ as expected` (`✔ failed (error-budget)` in short) or `✘ expected passed`. */
export function expectationHtml(cell: CellRecord, short = false): string {
  if (cell.matchedExpectation) {
    const what = expectsNonPass(cell) ? describeExpectation(cell.expected) : 'passed';
    const text = short ? `✔ ${what}` : `✔ as expected${expectsNonPass(cell) ? ` (${what})` : ''}`;
    return `<span class="expected-ok">${escapeHtml(text)}</span>`;
  }
  return `<span class="unexpected">${escapeHtml(`✘ expected ${describeExpectation(cell.expected)}`)}</span>`;
}

export function renderHeader(record: RunRecord): string {
  const total = record.cells.length;
  const unexpected = record.cells.filter((c) => !c.matchedExpectation).length;
  const interrupted = record.status === 'interrupted' ? ' (run interrupted)' : '';
  const verdict =
    total === 0
      ? `no cells ran${interrupted}`
      : unexpected === 0
        ? `✔ ${total} of ${total} cells as expected${interrupted}`
        : `✘ ${unexpected} of ${total} cells not as expected${interrupted}`;
  const verdictClass = total > 0 && unexpected === 0 ? 'expected-ok' : 'unexpected';
  const counts = new Map<CellStatus, number>();
  for (const cell of record.cells) counts.set(cell.status, (counts.get(cell.status) ?? 0) + 1);
  const badges = [...counts]
    .map(([status, n]) => `<span class="badge s-${status}">${n} ${escapeHtml(status)}</span>`)
    .join(' ');
  const meta: Array<[string, string]> = [
    ['run', record.runId],
    ['matrix', `${record.matrix.name} (${record.matrix.file})`],
    ['scenario', `${record.scenario.name} (${record.scenario.file})`],
    ['started', formatUtc(record.startedAt)],
    ['took', formatDuration(record.endedAt - record.startedAt)],
    ['run status', record.status],
    ['exit code', String(record.exitCode)],
    ['tool', `${record.tool.name} ${record.tool.version}`],
    ['host', `node ${record.host.node} on ${record.host.platform}, ${record.host.cpus} CPUs`],
  ];
  if (record.shard) meta.push(['shard', `${record.shard.index} of ${record.shard.count}`]);
  if (record.mergedFrom && record.mergedFrom.length > 0) {
    meta.push(['merged from', record.mergedFrom.map((m) => m.runId).join(', ')]);
  }
  return [
    '<header>',
    `<h1>upgrade-harness: ${escapeHtml(record.matrix.name)}</h1>`,
    `<p class="verdict ${verdictClass}">${escapeHtml(verdict)}</p>`,
    `<div class="counts">${badges}</div>`,
    `<dl class="meta">${meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`,
    '</header>',
  ].join('\n');
}

interface Column {
  title: string;
  numeric?: boolean;
  /** Cell HTML and the value the sort uses (the text when absent, blank sorts last). */
  render: (cell: CellRecord, index: number) => { html: string; sort?: string };
}

const COLUMNS: Column[] = [
  {
    title: 'cell',
    render: (cell, index) => ({
      html: `<a href="#${cellAnchor(index)}" class="cell-id">${escapeHtml(cell.id)}</a>`,
    }),
  },
  {
    title: 'from → to',
    render: (cell) => ({ html: escapeHtml(`${cell.axes.from ?? '?'} → ${cell.axes.to ?? '?'}`) }),
  },
  { title: 'strategy', render: (cell) => ({ html: escapeHtml(cell.axes.strategy ?? '—') }) },
  {
    title: 'status',
    render: (cell) => ({
      html: `${statusBadge(cell.status)}${cell.status === 'failed' && cell.reason ? `<span class="reason">${escapeHtml(cell.reason)}</span>` : ''}`,
      sort: describeOutcome(cell),
    }),
  },
  {
    title: 'expected',
    render: (cell) => ({ html: expectationHtml(cell, true), sort: cell.matchedExpectation ? '1' : '0' }),
  },
  {
    title: 'downtime s',
    numeric: true,
    render: (cell) =>
      measured(cell)
        ? { html: formatSeconds(cell.downtimeSeconds), sort: String(cell.downtimeSeconds) }
        : { html: '—', sort: '' },
  },
  {
    title: 'failed / total',
    numeric: true,
    render: (cell) =>
      measured(cell)
        ? {
            html: `${formatCount(cell.requests.failed)} / ${formatCount(cell.requests.total)}`,
            sort: String(cell.requests.failed),
          }
        : { html: '—', sort: '' },
  },
  {
    title: 'budget used',
    numeric: true,
    render: (cell) =>
      measured(cell)
        ? {
            html: escapeHtml(formatBudget(cell.errorBudget)),
            sort: String(Math.min(cell.errorBudget.consumedRatio, UNBOUNDED_RATIO)),
          }
        : { html: '—', sort: '' },
  },
  {
    title: 'rollback',
    render: (cell) => ({
      html: escapeHtml(formatRollback(cell.rollback)),
      sort: cell.rollback.attempted ? String(cell.rollback.seconds ?? '') : '',
    }),
  },
  {
    title: 'lost writes',
    numeric: true,
    render: (cell) => {
      const { acknowledged, lost, unverified } = cell.dataIntegrity;
      if (acknowledged === 0 && lost === 0) return { html: '—', sort: '' };
      const note = unverified > 0 ? ` (${formatCount(unverified)} unverified)` : '';
      return { html: escapeHtml(`${formatCount(lost)}${note}`), sort: String(lost) };
    },
  },
];

export function renderOverview(ordered: OrderedCell[]): string {
  if (ordered.length === 0) return '<p class="muted">No cells ran.</p>';
  const head = COLUMNS.map(
    (c) =>
      `<th scope="col"${c.numeric ? ' class="num"' : ''}><button type="button">${escapeHtml(c.title)}</button></th>`,
  ).join('');
  const rows = ordered.map(({ cell, index }, order) => {
    const tds = COLUMNS.map((c) => {
      const { html, sort } = c.render(cell, index);
      const sortAttr = sort === undefined ? '' : ` data-sort="${escapeHtml(sort)}"`;
      return `<td${c.numeric ? ' class="num"' : ''}${sortAttr}>${html}</td>`;
    }).join('');
    const rowClass = cell.matchedExpectation ? '' : ' class="row-unexpected"';
    return `<tr data-order="${order}"${rowClass}>${tds}</tr>`;
  });
  return [
    '<h2>Matrix</h2>',
    '<div class="table-wrap"><table class="sortable overview">',
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table></div>',
    '<p class="muted no-print">Click a column header to sort. Cells that did not do what the matrix expected come first.</p>',
  ].join('\n');
}

function measured(cell: CellRecord): boolean {
  return cell.requests.total > 0;
}
