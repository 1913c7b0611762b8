import { SIZE_AXIS, varyingKeys } from './axes.js';
import type { Comparison, ComparisonRow } from './comparison.js';
import { axisLabel, sameEverywhere } from './render-common.js';
import { csvNumber, fixed, formatChange } from './stats.js';
import { type Align, csvDocument, markdownTable } from './table-text.js';
import { SERVING_METRICS, type ServingMetricKey, type VersionSide } from './version-sides.js';

/** Marks a metric that got worse beyond the thresholds. */
export const WORSE_MARK = '⚠';

/**
 * The N vs N+1 table in Markdown: per size (and varying context axes) and upgrade path, each metric
 * as `N → N+1 (change)`, with ⚠ when it got worse beyond the thresholds, and which phase each
 * side was measured in.
 */
export function comparisonMarkdown(comparison: Comparison): string[] {
  const { rows, options } = comparison;
  if (rows.length === 0) return ['No upgrade path with measurements in the runs given.'];
  const others = comparison.contextKeys.filter((k) => k !== SIZE_AXIS);
  const keyCols = varyingKeys(
    rows.map((r) => r.context),
    others,
  );
  const constant = others.filter((k) => !keyCols.includes(k));
  const lines: string[] = [];
  const same = sameEverywhere(rows[0]?.context ?? {}, constant);
  if (same) lines.push(same, '');
  lines.push(
    `Each cell reads \`N → N+1 (change)\`, medians over the cells measured; ${WORSE_MARK} marks latency up by more than ${options.latencyThresholdPercent} % or a rate down by more than ${options.throughputThresholdPercent} %.`,
    '',
  );
  const header = [
    'size',
    ...keyCols.map(axisLabel),
    'N → N+1',
    'N measured in',
    'N+1 measured in',
    ...SERVING_METRICS.map((m) => m.label),
  ];
  const align: Align[] = [...header.slice(0, -SERVING_METRICS.length).map((): Align => 'left')];
  align.push(...SERVING_METRICS.map((): Align => 'right'));
  const body = rows.map((row) => [
    row.context[SIZE_AXIS] || '—',
    ...keyCols.map((k) => row.context[k] || '—'),
    `${row.from} → ${row.to}`,
    sideText(row.n, row.from, 'from'),
    sideText(row.next, row.from, 'to'),
    ...SERVING_METRICS.map((m) => changeCell(row, m.key, m.decimals)),
  ]);
  lines.push(markdownTable(header, align, body), '');
  lines.push(
    '### Where the numbers come from',
    '',
    '- **N**: the baseline phase of the cells upgrading from N (N installed and serving, before the upgrade), at the same size, platform and method; any target version and strategy.',
    '- **N+1**: the settle phase of the cells upgrading N → N+1 whose upgrade passed and whose settle phase was answered by N+1 (after the upgrade, before any rollback); when there are none, the baseline phase of cells upgrading from N+1.',
    '- **req/s**: requests that started in the phase per second of the phase under load; **ok req/s**: those that did not fail. Under an open-model load both follow the offered rate unless the service drops or fails requests.',
    '- **p50/p90/p99 ms**: latency of the ok responses that started in the phase, from their intended start.',
  );
  return lines;
}

/** `baseline, 3 cells` / `settle of 1.0.0 → 1.1.0, 2 cells` / `baseline of 1.1.0 → …`. */
function sideText(side: VersionSide | null, from: string, which: 'from' | 'to'): string {
  if (!side) return '—';
  const cells = `${side.cells} cell${side.cells === 1 ? '' : 's'}`;
  if (which === 'from') return `baseline, ${cells}`;
  return side.measuredIn === 'settle'
    ? `settle after ${from} → ${side.version}, ${cells}`
    : `baseline of cells from ${side.version}, ${cells}`;
}

function changeCell(row: ComparisonRow, key: ServingMetricKey, decimals: number): string {
  const before = row.n?.metrics[key]?.median ?? null;
  const after = row.next?.metrics[key]?.median ?? null;
  if (before === null && after === null) return '—';
  const text = (v: number | null) => (v === null ? '—' : fixed(v, decimals));
  const change = row.changes[key];
  const mark = row.worse.includes(key) ? ` ${WORSE_MARK}` : '';
  return `${text(before)} → ${text(after)}${change === null ? '' : ` (${formatChange(change)}${mark})`}`;
}

/**
 * The comparison as one CSV: context axes, `n_version`, `n1_version`, where and over how many cells
 * each side was measured, then per metric `n_<name>`, `n1_<name>` (medians) and `<name>_change_pct`,
 * and `worse`: the metrics beyond the thresholds, separated by `;`.
 */
export function comparisonCsv(comparison: Comparison): string {
  const header = [
    ...comparison.contextKeys,
    'n_version',
    'n1_version',
    'n_measured_in',
    'n_cells',
    'n1_measured_in',
    'n1_cells',
    ...SERVING_METRICS.flatMap((m) => [`n_${m.csv}`, `n1_${m.csv}`, `${m.csv}_change_pct`]),
    'worse',
  ];
  const rows = comparison.rows.map((row) => [
    ...comparison.contextKeys.map((k) => row.context[k] ?? ''),
    row.from,
    row.to,
    row.n?.measuredIn ?? '',
    String(row.n?.cells ?? 0),
    row.next?.measuredIn ?? '',
    String(row.next?.cells ?? 0),
    ...SERVING_METRICS.flatMap((m) => [
      csvNumber(row.n?.metrics[m.key]?.median, m.decimals + 2),
      csvNumber(row.next?.metrics[m.key]?.median, m.decimals + 2),
      csvNumber(row.changes[m.key], 2),
    ]),
    row.worse.map((k) => SERVING_METRICS.find((m) => m.key === k)?.csv ?? k).join(';'),
  ]);
  return csvDocument(header, rows);
}
