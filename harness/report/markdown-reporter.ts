import { join } from 'node:path';
import type { CellRecord, CellStatus, Check, KubePhaseAttribution, RunRecord } from '../common/run-record.js';
import {
  describeExpectation,
  describeOutcome,
  describeOutcomeSentence,
  expectsNonPass,
  formatBudget,
  formatCount,
  formatDuration,
  formatRollback,
  formatSeconds,
} from './format.js';
import type { Reporter } from './reporter.js';
import { writeTextFile } from './write-text-file.js';

export const SUMMARY_FILE = 'summary.md';

/** Lost keys listed per cell before "and N more". */
const MAX_LOST_KEYS_SHOWN = 10;

/**
 * `summary.md`: a verdict line, one table row per cell and the reasons of every cell that did not
 * pass or did not match its expectation. Sized for a merge-request comment and $GITHUB_STEP_SUMMARY.
 */
export class MarkdownReporter implements Reporter {
  readonly name = 'markdown';

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const path = join(dir, SUMMARY_FILE);
    await writeTextFile(path, renderMarkdownSummary(record));
    return [path];
  }
}

export function renderMarkdownSummary(record: RunRecord): string {
  const lines = [`## upgrade-harness: ${inline(record.matrix.name)}`, '', verdictLine(record), ''];
  const warnings = Array.isArray(record.mergeWarnings) ? record.mergeWarnings : [];
  if (warnings.length > 0)
    lines.push('⚠️ **This merged run is incomplete:**', ...warnings.map((w) => `- ${inline(w)}`), '');
  if (record.cells.length > 0) lines.push(...table(record.cells), '');
  for (const cell of record.cells) {
    if (cell.status !== 'passed' || !cell.matchedExpectation) lines.push(...cellDetails(cell), '');
  }
  lines.push(...restartsOfPassedCells(record.cells));
  lines.push(footer(record), '');
  return lines.join('\n');
}

function verdictLine(record: RunRecord): string {
  const total = record.cells.length;
  const interrupted = record.status === 'interrupted' ? ' (run interrupted)' : '';
  if (total === 0) return `⚠️ no cells ran${interrupted}`;
  const unexpected = record.cells.filter((c) => !c.matchedExpectation);
  if (unexpected.length === 0) {
    // A run that did not finish, or ended non-zero, is never shown green.
    if (record.status === 'interrupted')
      return `⏹️ the run did not finish (interrupted, exit code ${record.exitCode}): ${total} cell(s) finished, all as expected; cells that had not finished may be missing`;
    if (record.exitCode !== 0)
      return `❌ ${total} of ${total} cells as expected, but the run ended with exit code ${record.exitCode}`;
    return `✅ ${total} of ${total} cells as expected`;
  }
  const byStatus = new Map<CellStatus, number>();
  for (const cell of unexpected) byStatus.set(cell.status, (byStatus.get(cell.status) ?? 0) + 1);
  const breakdown = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
  return `❌ ${unexpected.length} of ${total} cells not as expected: ${breakdown}${interrupted}`;
}

function table(cells: CellRecord[]): string[] {
  const header = [
    'cell',
    'from → to',
    'strategy',
    'status',
    'downtime s',
    'failed / total requests',
    'budget used',
    'rollback',
    'lost writes',
  ];
  const align = [':--', ':--', ':--', ':--', '--:', '--:', '--:', ':--', '--:'];
  return [row(header), row(align), ...cells.map((cell) => row(cellRow(cell)))];
}

function cellRow(cell: CellRecord): string[] {
  const measured = cell.requests.total > 0;
  const from = cell.axes.from ?? '?';
  const to = cell.axes.to ?? '?';
  return [
    cell.id,
    `${from} → ${to}`,
    cell.axes.strategy ?? '—',
    statusText(cell),
    measured ? formatSeconds(cell.downtimeSeconds) : '—',
    measured ? `${formatCount(cell.requests.failed)} / ${formatCount(cell.requests.total)}` : '—',
    measured ? formatBudget(cell.errorBudget) : '—',
    formatRollback(cell.rollback),
    lostWrites(cell),
  ].map(tableText);
}

/** `✅ passed`, `✅ failed (error-budget), expected`, `❌ passed, expected failed (error-budget)`. */
function statusText(cell: CellRecord): string {
  return `${icon(cell)} ${statusLabel(cell)}`;
}

function statusLabel(cell: CellRecord): string {
  const outcome = describeOutcome(cell);
  if (!expectsNonPass(cell)) return outcome;
  return cell.matchedExpectation
    ? `${outcome}, expected`
    : `${outcome}, expected ${describeExpectation(cell.expected)}`;
}

function icon(cell: CellRecord): string {
  if (cell.matchedExpectation) return '✅';
  if (cell.status === 'passed' || cell.status === 'failed') return '❌';
  if (cell.status === 'interrupted') return '⏹️';
  return '⚠️';
}

function lostWrites(cell: CellRecord): string {
  const integrity = cell.dataIntegrity;
  if (integrity.acknowledged === 0 && integrity.lost === 0) return '—';
  const unverified = integrity.unverified > 0 ? ` (${formatCount(integrity.unverified)} unverified)` : '';
  return `${formatCount(integrity.lost)}${unverified}`;
}

function cellDetails(cell: CellRecord): string[] {
  const judged = cell.status === 'passed' || cell.status === 'failed';
  const items: string[] = [];
  if (!cell.matchedExpectation && expectsNonPass(cell)) {
    items.push(`expected ${describeExpectation(cell.expected)} but ${describeOutcomeSentence(cell)}`);
  }
  if (cell.error) items.push(`error in phase ${cell.error.phase}: ${cell.error.message}`);
  else if (!judged && cell.status !== 'inconclusive' && cell.reason) items.push(cell.reason);
  if (cell.status === 'inconclusive') items.push(loadLine(cell));
  for (const check of cell.checks) {
    if (!check.passed) items.push(`${check.message}${checkNote(cell, check, judged)}`);
  }
  if (cell.rollback.attempted) items.push(rollbackLine(cell));
  if (cell.dataIntegrity.lost > 0) items.push(lostKeysLine(cell));
  const pods = podRestartsLine(cell);
  if (pods) items.push(pods);
  items.push(`artifacts: ${cell.artifactsDir}`);
  return [
    `### ${icon(cell)} ${inline(cell.id)}: ${inline(statusLabel(cell))}`,
    '',
    ...items.map((i) => `- ${inline(i)}`),
  ];
}

/** Mirrors junit.xml: a failure the matrix expected, or a number from a cell that was not judged. */
function checkNote(cell: CellRecord, check: Check, judged: boolean): string {
  if (!judged) return ' (not judged)';
  const expectedHere = cell.expected?.status === 'failed' && cell.expected.reason === check.category;
  return cell.matchedExpectation || expectedHere ? ' (expected)' : '';
}

function loadLine(cell: CellRecord): string {
  const { load } = cell;
  const numbers = `load generator: achieved ${load.achievedRate} of ${load.targetRate} req/s, ${formatCount(load.dropped)} dropped, schedule lag p99 ${load.scheduleLagP99Ms} ms`;
  const explained = cell.checks.some((c) => !c.passed && c.category === 'load');
  return load.reason && !explained ? `${numbers}: ${load.reason}` : numbers;
}

function rollbackLine(cell: CellRecord): string {
  const { rollback } = cell;
  const took = rollback.seconds === null ? '' : ` in ${formatSeconds(rollback.seconds, 1)} s`;
  const reason = rollback.reason ? `: ${rollback.reason}` : '';
  if (rollback.succeeded === true) return `rollback succeeded${took}${reason}`;
  if (rollback.succeeded === false) return `rollback failed${took}${reason}`;
  return `rollback attempted, result unknown${reason}`;
}

function lostKeysLine(cell: CellRecord): string {
  const { lost, lostKeys } = cell.dataIntegrity;
  const shown = lostKeys.slice(0, MAX_LOST_KEYS_SHOWN).join(', ');
  const more =
    lostKeys.length > MAX_LOST_KEYS_SHOWN ? ` and ${lostKeys.length - MAX_LOST_KEYS_SHOWN} more` : '';
  return `lost writes: ${formatCount(lost)}${shown ? ` (${shown}${more})` : ''}`;
}

/** Phases whose pod restarts the summary names (the upgrade window). */
const RESTART_PHASES = new Set(['upgrade', 'settle']);

/** `pods: 2 restarts during upgrade (Deployment/web)`, or undefined when no pod restarted then. */
function podRestartsLine(cell: CellRecord): string | undefined {
  const byPhase: unknown = cell.kubernetes?.byPhase;
  if (!Array.isArray(byPhase)) return undefined;
  const parts: string[] = [];
  for (const entry of byPhase as Array<Partial<KubePhaseAttribution> | null>) {
    const restarts = entry?.restarts;
    if (!entry || !RESTART_PHASES.has(String(entry.phase)) || typeof restarts !== 'number' || restarts <= 0)
      continue;
    const detail = entry.detail ? ` ${String(entry.detail)}` : '';
    const workloads = Array.isArray(entry.workloads) ? entry.workloads.map(String) : [];
    const owners = workloads.length > 0 ? ` (${workloads.join(', ')})` : '';
    parts.push(
      `${formatCount(restarts)} restart${restarts === 1 ? '' : 's'} during ${String(entry.phase)}${detail}${owners}`,
    );
  }
  return parts.length > 0 ? `pods: ${parts.join('; ')}` : undefined;
}

/** Cells that passed as expected get no details; pods that restarted during their upgrade still deserve a line. */
function restartsOfPassedCells(cells: CellRecord[]): string[] {
  const items = cells
    .filter((cell) => cell.status === 'passed' && cell.matchedExpectation)
    .flatMap((cell) => {
      const pods = podRestartsLine(cell);
      return pods ? [`- ${inline(cell.id)}: ${inline(pods)}`] : [];
    });
  return items.length > 0 ? ['### Pod restarts in cells that passed', '', ...items, ''] : [];
}

function footer(record: RunRecord): string {
  const parts = [
    `run ${record.runId}`,
    `matrix ${record.matrix.file}`,
    `scenario ${record.scenario.name}`,
    formatDuration(record.endedAt - record.startedAt),
    `${record.tool.name} ${record.tool.version}`,
    `node ${record.host.node} on ${record.host.platform}`,
  ];
  return `<sub>${parts.map(inline).join(' · ')}</sub>`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Text on one line that cannot open an HTML tag (and so hide the rest of the comment). */
function inline(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}

/** Inline text that also cannot end a table cell. */
function tableText(text: string): string {
  return inline(text).replace(/\|/g, '\\|');
}
