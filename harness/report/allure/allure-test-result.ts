import { type Attachment, type Label, LabelName, type Parameter, type TestResult } from 'allure-js-commons';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import {
  describeExpectation,
  describeOutcome,
  expectsNonPass,
  formatBudget,
  formatCount,
  formatDuration,
  formatRollback,
  formatSeconds,
} from '../format.js';
import { cellHistoryId, cellResultUuid } from './allure-ids.js';
import { cellAllureStage, cellAllureStatus, cellStatusMessage, isJudged } from './allure-status.js';
import { cellSteps, epochMs } from './allure-steps.js';

/** Axes in the order people read a cell; any other axis follows in the record's order. */
const NAMED_AXES: readonly string[] = ['platform', 'method', 'from', 'to', 'strategy', 'rollback', 'profile'];
const TITLE_AXES = new Set<string>(['platform', 'method', 'from', 'to', 'strategy']);
const RESERVED_LABELS = new Set<string>(Object.values(LabelName));

/** The Allure test result of one cell; `attachments` are already written next to it. */
export function cellTestResult(record: RunRecord, cell: CellRecord, attachments: Attachment[]): TestResult {
  const message = cellStatusMessage(cell);
  const historyId = cellHistoryId(cell.id);
  return {
    uuid: cellResultUuid(record.runId, cell.id),
    historyId,
    testCaseId: historyId,
    name: cellTitle(cell),
    fullName: `${record.matrix.name}/${cell.id}`,
    titlePath: suitePath(record, cell),
    status: cellAllureStatus(cell),
    statusDetails: message === undefined ? {} : { message },
    stage: cellAllureStage(cell),
    description: cellDescription(cell),
    start: epochMs(cell.startedAt),
    stop: epochMs(cell.endedAt),
    labels: cellLabels(record, cell),
    links: [],
    parameters: cellParameters(cell),
    steps: cellSteps(cell),
    attachments,
  };
}

/** `1.0.0 → 1.1.0, rolling, via helm on kind (rollback on-failure, profile small)`. */
export function cellTitle(cell: CellRecord): string {
  const { from, to, strategy, method, platform } = cell.axes;
  const head: string[] = [];
  if (from !== undefined || to !== undefined) head.push(`${from ?? '?'} → ${to ?? '?'}`);
  if (strategy !== undefined) head.push(strategy);
  if (method !== undefined || platform !== undefined) {
    head.push([method && `via ${method}`, platform && `on ${platform}`].filter(Boolean).join(' '));
  }
  const rest = orderedAxes(cell)
    .filter(([name]) => !TITLE_AXES.has(name))
    .map(([name, value]) => `${name} ${value}`);
  if (head.length === 0) return rest.length > 0 ? `${cell.id} (${rest.join(', ')})` : cell.id;
  return rest.length > 0 ? `${head.join(', ')} (${rest.join(', ')})` : head.join(', ');
}

function orderedAxes(cell: CellRecord): Array<[string, string]> {
  const rank = (name: string) => {
    const i = NAMED_AXES.indexOf(name);
    return i === -1 ? NAMED_AXES.length : i;
  };
  // Array sort is stable: axes outside NAMED_AXES keep the record's order.
  return Object.entries(cell.axes).sort(([a], [b]) => rank(a) - rank(b));
}

function cellParameters(cell: CellRecord): Parameter[] {
  return orderedAxes(cell).map(([name, value]) => ({ name, value }));
}

function suitePath(record: RunRecord, cell: CellRecord): string[] {
  const { from, to } = cell.axes;
  const path = [record.scenario.name, record.matrix.name];
  if (from !== undefined && to !== undefined) path.push(`${from} → ${to}`);
  return path;
}

function cellLabels(record: RunRecord, cell: CellRecord): Label[] {
  const [parentSuite, suite, subSuite] = suitePath(record, cell);
  const labels: Label[] = [
    { name: LabelName.PARENT_SUITE, value: parentSuite ?? record.scenario.name },
    { name: LabelName.SUITE, value: suite ?? record.matrix.name },
    ...(subSuite === undefined ? [] : [{ name: LabelName.SUB_SUITE, value: subSuite }]),
    { name: LabelName.FEATURE, value: record.scenario.name },
    ...(subSuite === undefined ? [] : [{ name: LabelName.STORY, value: subSuite }]),
    { name: LabelName.HOST, value: record.host.platform },
    { name: LabelName.FRAMEWORK, value: record.tool.name },
    ...cellTags(cell).map((value) => ({ name: LabelName.TAG, value })),
  ];
  // Axes as labels too, so an Allure 3 config can group the tree by them (`groupBy: ['strategy']`).
  for (const [name, value] of orderedAxes(cell)) {
    if (!RESERVED_LABELS.has(name)) labels.push({ name, value });
  }
  return labels;
}

function cellTags(cell: CellRecord): string[] {
  const tags: string[] = [];
  const expected = cell.expected?.status;
  if (expected === 'failed') tags.push('expected-failure');
  else if (expected !== undefined && expected !== 'passed') tags.push(`expected-${expected}`);
  if (!isJudged(cell)) tags.push(cell.status);
  if (cell.rollback.attempted) tags.push('rollback');
  return tags;
}

/** Markdown: the verdict against the expectation, then the cell's headline numbers. */
export function cellDescription(cell: CellRecord): string {
  const lines = [`**${verdict(cell)}**`, ''];
  const measured = cell.requests.total > 0;
  const bullets: string[] = [
    `duration: ${formatDuration(cell.endedAt - cell.startedAt)}`,
    `downtime in the upgrade window: ${measured ? `${formatSeconds(cell.downtimeSeconds)} s` : 'not measured'}`,
    `error budget used: ${measured ? `${formatBudget(cell.errorBudget)} (${formatCount(cell.errorBudget.failures)} of ${formatCount(cell.errorBudget.requests)} requests failed)` : 'not measured'}`,
    `requests: ${formatCount(cell.requests.total)} (${formatCount(cell.requests.failed)} failed, ${formatCount(cell.requests.dropped)} dropped)`,
    `load: ${cell.load.achievedRate} of ${cell.load.targetRate} req/s${cell.load.ok ? '' : ' (not held)'}`,
    `rollback: ${formatRollback(cell.rollback)}`,
    `acknowledged writes: ${formatCount(cell.dataIntegrity.acknowledged)}, lost ${formatCount(cell.dataIntegrity.lost)}, unverified ${formatCount(cell.dataIntegrity.unverified)}`,
    `artifacts: \`${cell.artifactsDir}\``,
  ];
  lines.push(...bullets.map((b) => `- ${b}`));
  if (cell.notes && cell.notes.length > 0) lines.push('', 'Notes:', ...cell.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

function verdict(cell: CellRecord): string {
  const outcome = describeOutcome(cell);
  const expected = describeExpectation(cell.expected);
  if (cell.matchedExpectation) {
    if (cell.status === 'failed') return `Failed as expected: ${outcome} (expected ${expected}).`;
    if (expectsNonPass(cell)) return `Ended ${outcome}, as expected (expected ${expected}).`;
    return 'Passed, as expected.';
  }
  return `Not as expected: ${outcome}, expected ${expected}.`;
}
