import type { RunRecord } from '../../common/run-record.js';
import { SIZE_AXIS } from './axes.js';
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
