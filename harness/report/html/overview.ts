import { CELL_STATUSES, type CellRecord, type CellStatus, type RunRecord } from '../../common/run-record.js';
import {
  describeExpectation,
  describeOutcome,
  expectsNonPass,
  formatBudget,
  formatDuration,
  formatRollback,
  UNBOUNDED_RATIO,
} from '../format.js';
import { countText, escapeHtml, formatUtc, secondsText } from './html-text.js';

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
  return `<span class="badge ${statusClass(status)}">${escapeHtml(status)}</span>`;
}

/** The badge's class: only a status the harness knows names one (the record may come from anywhere). */
function statusClass(status: unknown): string {
  return (CELL_STATUSES as readonly unknown[]).includes(status) ? `s-${String(status)}` : 's-unknown';
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
  const verdict = runVerdict(record);
  const counts = new Map<CellStatus, number>();
  for (const cell of record.cells) counts.set(cell.status, (counts.get(cell.status) ?? 0) + 1);
  const badges = [...counts]
    .map(([status, n]) => `<span class="badge ${statusClass(status)}">${escapeHtml(`${n} ${status}`)}</span>`)
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
    `<p class="verdict ${verdict.ok ? 'expected-ok' : 'unexpected'}">${escapeHtml(verdict.text)}</p>`,
    `<div class="counts">${badges}</div>`,
    ...mergeWarningsHtml(record),
    `<dl class="meta">${meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`,
    '</header>',
  ].join('\n');
}

/** A merge that was allowed to be partial (`merge-reports --allow-partial`) says what is missing, in red. */
function mergeWarningsHtml(record: RunRecord): string[] {
  const warnings = Array.isArray(record.mergeWarnings) ? record.mergeWarnings : [];
  if (warnings.length === 0) return [];
  return [
    '<div class="unexpected"><strong>This merged run is incomplete:</strong><ul>',
    ...warnings.map((w) => `<li>${escapeHtml(w)}</li>`),
    '</ul></div>',
  ];
}

/**
 * The page's one-line verdict, green only for a run that finished with exit code 0 and every cell as
 * expected. A run cut short says so, with what the record tells of the cells it did not finish.
 */
export function runVerdict(record: RunRecord): { text: string; ok: boolean } {
  const total = record.cells.length;
  const unexpected = record.cells.filter((c) => !c.matchedExpectation).length;
  const exit = `exit code ${String(record.exitCode)}`;
  if (record.status !== 'completed') {
    const done = record.cells.filter((c) => c.status !== 'interrupted');
    const notDone = total - done.length;
    const wrong = done.filter((c) => !c.matchedExpectation).length;
    const judged = done.length === 0 ? '' : wrong === 0 ? ', all as expected' : `, ${wrong} not as expected`;
    const cells =
      notDone > 0
        ? `${done.length} of ${cellCount(total)} finished${judged}`
        : `${done.length === 0 ? 'no cell' : cellCount(done.length)} finished${judged}; cells that had not finished when it stopped may be missing from this report`;
    return { text: `✘ The run did not finish (${String(record.status)}, ${exit}): ${cells}`, ok: false };
  }
  if (total === 0) return { text: `no cells ran${record.exitCode === 0 ? '' : ` (${exit})`}`, ok: false };
  if (unexpected > 0) return { text: `✘ ${unexpected} of ${cellCount(total)} not as expected`, ok: false };
  if (record.exitCode !== 0) {
    return {
      text: `✘ ${total} of ${cellCount(total)} as expected, but the run ended with ${exit}`,
      ok: false,
    };
  }
  return { text: `✔ ${total} of ${cellCount(total)} as expected`, ok: true };
}

function cellCount(n: number): string {
  return `${n} cell${n === 1 ? '' : 's'}`;
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
      html: `${statusBadge(cell.status)}${reasonHtml(cell)}`,
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
        ? { html: escapeHtml(secondsText(cell.downtimeSeconds)), sort: String(cell.downtimeSeconds) }
        : { html: '—', sort: '' },
  },
  {
    title: 'failed / total',
    numeric: true,
    render: (cell) =>
      measured(cell)
        ? {
            html: escapeHtml(`${countText(cell.requests.failed)} / ${countText(cell.requests.total)}`),
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
      const note = unverified > 0 ? ` (${countText(unverified)} unverified)` : '';
      return { html: escapeHtml(`${countText(lost)}${note}`), sort: String(lost) };
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

/** Longer reasons (error messages) are cut to this many characters in the table; the cell's section has them whole. */
const REASON_CHARS = 140;

/** Why a cell did not pass, under its badge: the failed checks' categories, or the error, shortened. */
function reasonHtml(cell: CellRecord): string {
  if (cell.status === 'passed') return '';
  const reason = String(cell.reason || cell.error?.message || '');
  if (reason === '') return '';
  const chars = [...reason];
  if (chars.length <= REASON_CHARS) return `<span class="reason">${escapeHtml(reason)}</span>`;
  const short = `${chars
    .slice(0, REASON_CHARS - 1)
    .join('')
    .trimEnd()}…`;
  return `<span class="reason" title="${escapeHtml(reason)}">${escapeHtml(short)}</span>`;
}

function measured(cell: CellRecord): boolean {
  return cell.requests.total > 0;
}
