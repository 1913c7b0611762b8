import { SIZE_AXIS, varyingKeys } from './axes.js';
import type { Comparison, ComparisonRow } from './comparison.js';
import { axisLabel, leftOutMarkdown, sameEverywhere } from './render-common.js';
import { csvNumber, fixed, formatChange } from './stats.js';
import { type Align, CSV_AXIS_PREFIX, csvDocument, csvText, markdownTable } from './table-text.js';
import {
  MIN_SAMPLES_BEYOND_PERCENTILE,
  SERVING_METRICS,
  type ServingMetricKey,
  type VersionSide,
} from './version-sides.js';

/** Marks a metric that got worse beyond the thresholds. */
export const WORSE_MARK = '⚠';
/** Follows a percentile's change that is not judged (too few responses beyond the percentile). */
export const FEW_SAMPLES_NOTE = '(few samples)';

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
    `Each cell reads \`N → N+1 (change)\`, medians over the cells measured; ${WORSE_MARK} marks latency up by more than ${options.latencyThresholdPercent} % or a rate down by more than ${options.throughputThresholdPercent} %. A percentile's change is judged only when both sides took it over at least ${MIN_SAMPLES_BEYOND_PERCENTILE} responses beyond it (p99: 1,000 ok responses, p90: 100, p50: 20, in every cell behind the median); otherwise it reads ${FEW_SAMPLES_NOTE} and is never marked.`,
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
  lines.push(...leftOutMarkdown(comparison.leftOut));
  lines.push(
    '### Where the numbers come from',
    '',
    '- Only cells that passed or failed: inconclusive, errored, interrupted and timed-out cells are in no number.',
    '- **N**: the baseline phase of the cells upgrading from N (N installed and serving, before the upgrade), at the same size, platform and method; any target version and strategy.',
    '- **N+1**: likewise the baseline phase of the cells upgrading from N+1, so both sides are a steady state. Only when the runs have no such cell, the settle phase of the cells upgrading N → N+1 whose upgrade passed and whose settle phase was answered by N+1, marked *(fallback)*: just after the upgrade (caches cold, new instances young), before any rollback, so not quite a steady state.',
    '- **req/s**: requests that started in the phase per second of the phase under load; **ok req/s**: those that did not fail. Under an open-model load both follow the offered rate unless the service drops or fails requests.',
    '- **p50/p90/p99 ms**: latency of the ok responses that started in the phase, from their intended start.',
  );
  return lines;
}

/** `baseline, 3 cells` / `baseline of cells from 1.1.0, 2 cells` / `settle after 1.0.0 → 1.1.0 (fallback), 2 cells`. */
function sideText(side: VersionSide | null, from: string, which: 'from' | 'to'): string {
  if (!side) return '—';
  const cells = `${side.cells} cell${side.cells === 1 ? '' : 's'}`;
  if (which === 'from') return `baseline, ${cells}`;
  return side.measuredIn === 'settle'
    ? `settle after ${from} → ${side.version} (fallback), ${cells}`
    : `baseline of cells from ${side.version}, ${cells}`;
}

function changeCell(row: ComparisonRow, key: ServingMetricKey, decimals: number): string {
  const before = row.n?.metrics[key]?.median ?? null;
  const after = row.next?.metrics[key]?.median ?? null;
  if (before === null && after === null) return '—';
  const text = (v: number | null) => (v === null ? '—' : fixed(v, decimals));
  const change = row.changes[key];
  const mark = row.worse.includes(key) ? ` ${WORSE_MARK}` : '';
  const few = row.fewSamples.includes(key) ? ` ${FEW_SAMPLES_NOTE}` : '';
  return `${text(before)} → ${text(after)}${change === null ? '' : ` (${formatChange(change)}${mark})${few}`}`;
}

/**
 * The comparison as one CSV: context axes (as `axis.<name>`), `n_version`, `n1_version`, where and
 * over how many cells each side was measured, then per metric `n_<name>`, `n1_<name>` (medians)
 * and `<name>_change_pct`, `worse`: the metrics beyond the thresholds, and `few_samples`: the
 * percentiles not judged for want of samples (both separated by `;`).
 */
export function comparisonCsv(comparison: Comparison): string {
  const csvName = (k: ServingMetricKey) => SERVING_METRICS.find((m) => m.key === k)?.csv ?? k;
  const header = [
    ...comparison.contextKeys.map((k) => `${CSV_AXIS_PREFIX}${k}`),
    'n_version',
    'n1_version',
    'n_measured_in',
    'n_cells',
    'n1_measured_in',
    'n1_cells',
    ...SERVING_METRICS.flatMap((m) => [`n_${m.csv}`, `n1_${m.csv}`, `${m.csv}_change_pct`]),
    'worse',
    'few_samples',
  ];
  const rows = comparison.rows.map((row) => [
    ...comparison.contextKeys.map((k) => csvText(row.context[k] ?? '')),
    csvText(row.from),
    csvText(row.to),
    row.n?.measuredIn ?? '',
    String(row.n?.cells ?? 0),
    row.next?.measuredIn ?? '',
    String(row.next?.cells ?? 0),
    ...SERVING_METRICS.flatMap((m) => [
      csvNumber(row.n?.metrics[m.key]?.median, m.decimals + 2),
      csvNumber(row.next?.metrics[m.key]?.median, m.decimals + 2),
      csvNumber(row.changes[m.key], 2),
    ]),
    row.worse.map(csvName).join(';'),
    row.fewSamples.map(csvName).join(';'),
  ]);
  return csvDocument(header, rows);
}
