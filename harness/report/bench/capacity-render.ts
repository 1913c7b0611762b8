import { CELL_STATUSES } from '../../common/run-record.js';
import { SIZE_AXIS, varyingKeys } from './axes.js';
import { CAPACITY_METRICS, type CapacityMetric, type CapacityRow, type CapacityTable } from './capacity.js';
import { axisLabel, leftOutMarkdown, sameEverywhere } from './render-common.js';
import { csvNumber, formatAggregate } from './stats.js';
import {
  type Align,
  CSV_AXIS_PREFIX,
  csvDocument,
  csvText,
  inlineText,
  markdownTable,
} from './table-text.js';

const SECTIONS: ReadonlyArray<{ section: CapacityMetric['section']; title: string }> = [
  { section: 'throughput', title: 'Throughput' },
  { section: 'latency', title: 'Latency' },
  { section: 'upgrade', title: 'Upgrade, downtime, rollback, error budget' },
];

/**
 * The capacity tables in Markdown: one table per section (throughput, latency, upgrade), each row
 * keyed by size, from → to and the axes that vary between rows; the axes that do not vary are
 * named once above. `header` (title, sources) and `footer` (plots) lines are the caller's.
 */
export function capacityMarkdown(table: CapacityTable): string[] {
  if (table.rows.length === 0) return ['No cells in the runs given.'];
  const keyCols = keyColumns(table);
  const constant = table.axisKeys.filter(
    (k) => !keyCols.includes(k) && k !== 'from' && k !== 'to' && k !== SIZE_AXIS,
  );
  const lines: string[] = [];
  const same = sameEverywhere(table.rows[0]?.axes ?? {}, constant);
  if (same) lines.push(same, '');
  lines.push(
    'Each number is the median over the repetitions of a cell (the same cell in several runs) that passed or failed, with the min–max range when they differ and n=k when only k of them measured it; — when none did. The cells and status columns count every repetition: inconclusive, errored, interrupted and timed-out ones are in no number (listed under the tables).',
    '',
  );
  for (const { section, title } of SECTIONS) {
    const metrics = CAPACITY_METRICS.filter((m) => m.section === section);
    const header = ['size', 'from → to', ...keyCols.map(axisLabel)];
    const align: Align[] = header.map(() => 'left');
    if (section === 'throughput') header.push('cells', 'status');
    if (section === 'throughput') align.push('right', 'left');
    header.push(...metrics.map((m) => m.label));
    align.push(...metrics.map((): Align => 'right'));
    const rows = table.rows.map((row) => [
      ...keyCells(row, keyCols),
      ...(section === 'throughput' ? [String(row.cells), statusText(row)] : []),
      ...metrics.map((m) => formatAggregate(row.metrics[m.key], m.decimals, row.cells)),
    ]);
    lines.push(`## ${title}`, '', markdownTable(header, align, rows), '');
  }
  lines.push(...leftOutMarkdown(table.leftOut));
  lines.push('### Where the numbers come from', '');
  const bySource = new Map<string, string[]>();
  for (const m of CAPACITY_METRICS) bySource.set(m.source, [...(bySource.get(m.source) ?? []), m.label]);
  for (const [source, labels] of bySource)
    lines.push(`- **${inlineText(labels.join(', '))}**: ${inlineText(source)}`);
  return lines;
}

/** Axes other than size, from and to whose value differs between rows. */
function keyColumns(table: CapacityTable): string[] {
  const others = table.axisKeys.filter((k) => k !== SIZE_AXIS && k !== 'from' && k !== 'to');
  return varyingKeys(
    table.rows.map((r) => r.axes),
    others,
  );
}

function keyCells(row: CapacityRow, keyCols: readonly string[]): string[] {
  const path = `${row.axes.from || '?'} → ${row.axes.to || '?'}`;
  return [row.axes[SIZE_AXIS] || '—', path, ...keyCols.map((k) => row.axes[k] || '—')];
}

/** `2 passed, 1 failed`. */
function statusText(row: CapacityRow): string {
  return CELL_STATUSES.filter((s) => row.statuses[s] > 0)
    .map((s) => `${row.statuses[s]} ${s}`)
    .join(', ');
}

/**
 * The capacity table as one CSV: a header row, then one row per cell group with every axis (as
 * `axis.<name>`), the counts (cells, runs, one column per status: every repetition) and each metric
 * as `<name>_median`, `_min`, `_max`, `_n` over the repetitions that passed or failed (plain
 * numbers; empty when not measured; `inf` for an error budget consumed without allowance).
 */
export function capacityCsv(table: CapacityTable): string {
  const header = [
    ...table.axisKeys.map((k) => `${CSV_AXIS_PREFIX}${k}`),
    'cells',
    'runs',
    ...CELL_STATUSES,
    ...CAPACITY_METRICS.flatMap((m) => [`${m.csv}_median`, `${m.csv}_min`, `${m.csv}_max`, `${m.csv}_n`]),
  ];
  const rows = table.rows.map((row) => [
    ...table.axisKeys.map((k) => csvText(row.axes[k] ?? '')),
    String(row.cells),
    String(row.runIds.length),
    ...CELL_STATUSES.map((s) => String(row.statuses[s])),
    ...CAPACITY_METRICS.flatMap((m) => {
      const a = row.metrics[m.key];
      const d = m.decimals + 2;
      return [csvNumber(a?.median, d), csvNumber(a?.min, d), csvNumber(a?.max, d), String(a?.n ?? 0)];
    }),
  ]);
  return csvDocument(header, rows);
}
