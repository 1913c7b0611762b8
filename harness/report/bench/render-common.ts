import type { RunRecord } from '../../common/run-record.js';
import { SIZE_AXIS } from './axes.js';
import type { LeftOutCell } from './cell-measures.js';
import { inlineText } from './table-text.js';

/** Column heading of an axis in the Markdown tables. */
export function axisLabel(key: string): string {
  return key === SIZE_AXIS ? 'size' : key;
}

/** Where the numbers came from: one line per run, deterministic (times from the records). */
export function sourcesMarkdown(records: readonly RunRecord[]): string[] {
  const lines = [`From ${records.length} run${records.length === 1 ? '' : 's'}:`, ''];
  for (const r of records) {
    const started = Number.isFinite(r.startedAt) ? new Date(r.startedAt).toISOString() : '?';
    lines.push(
      inlineText(
        `- \`${r.runId}\`: matrix ${r.matrix.name} (${r.matrix.file}), scenario ${r.scenario.name}, ${r.cells.length} cells, started ${started}, ${r.tool.name} ${r.tool.version}, ${r.host.platform} with ${r.host.cpus} CPUs`,
      ),
    );
  }
  return lines;
}

/** `platform local · method local`: axes that are the same in every row, named once above the table. */
export function sameEverywhere(
  axes: Readonly<Record<string, string>>,
  keys: readonly string[],
): string | null {
  if (keys.length === 0) return null;
  return `Same in every row: ${keys.map((k) => `${axisLabel(k)} ${inlineText(axes[k] || '—')}`).join(' · ')}`;
}

/** Title part naming the scenarios compared: `reference-app`, `a, b`. */
export function scenarioNames(records: readonly RunRecord[]): string {
  return [...new Set(records.map((r) => r.scenario.name))].join(', ') || 'no runs';
}

/** Left-out cells listed one by one up to this many; the rest are counted. */
const LEFT_OUT_LISTED = 30;

/**
 * Which cells are in no number and why (they still count in the status column), or nothing when
 * every cell is in the numbers.
 */
export function leftOutMarkdown(leftOut: readonly LeftOutCell[]): string[] {
  if (leftOut.length === 0) return [];
  const lines = [
    '### Left out of the numbers',
    '',
    `Only cells that passed or failed are in the medians; ${leftOut.length} cell${leftOut.length === 1 ? ' is' : 's are'} counted in the status column only:`,
    '',
  ];
  for (const c of leftOut.slice(0, LEFT_OUT_LISTED)) {
    lines.push(inlineText(`- ${c.cellId} (run ${c.runId}): ${c.why}`));
  }
  if (leftOut.length > LEFT_OUT_LISTED) lines.push(`- and ${leftOut.length - LEFT_OUT_LISTED} more`);
  lines.push('');
  return lines;
}
