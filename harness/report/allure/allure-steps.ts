import { Stage, Status, type StepResult } from 'allure-js-commons';
import type { CellRecord, Check } from '../../common/run-record.js';
import type { PhaseRecord, TimelineEvent } from '../../common/sample.js';
import { checkAllureStatus, isExpectedFailure, phaseAllureStatus } from './allure-status.js';

/** Allure wants whole epoch milliseconds (Allure 2 reads them as longs); the record keeps fractions. */
export function epochMs(t: number): number {
  return Math.round(t);
}

/**
 * The steps of a cell's test: one per phase as it ran (with the cell's timeline events inside the
 * phase they happened in), then one per check, judged at the end of the cell.
 */
export function cellSteps(cell: CellRecord): StepResult[] {
  const eventsOf = new Map<number, TimelineEvent[]>();
  const orphans: TimelineEvent[] = [];
  for (const event of cell.events) {
    // At a boundary, the phase that starts there: "rolling back" belongs to the rollback.
    const index = cell.phases.findLastIndex((p) => p.startedAt <= event.at && event.at <= p.endedAt);
    if (index === -1) orphans.push(event);
    else eventsOf.set(index, [...(eventsOf.get(index) ?? []), event]);
  }
  return [
    ...cell.phases.map((phase, i) => phaseStep(phase, eventsOf.get(i) ?? [])),
    ...orphans.map(eventStep),
    ...cell.checks.map((check) => checkStep(cell, check)),
  ];
}

function phaseStep(phase: PhaseRecord, events: TimelineEvent[]): StepResult {
  return {
    name: phase.detail ? `${phase.name} ${phase.detail}` : phase.name,
    status: phaseAllureStatus(phase.status),
    statusDetails: phase.error ? { message: phase.error } : {},
    stage: phase.status === 'interrupted' ? Stage.INTERRUPTED : Stage.FINISHED,
    start: epochMs(phase.startedAt),
    stop: epochMs(phase.endedAt),
    steps: events.map(eventStep),
    attachments: [],
    parameters: [],
  };
}

function eventStep(event: TimelineEvent): StepResult {
  const at = epochMs(event.at);
  return {
    name: `${event.kind}: ${event.message}`,
    status: Status.PASSED,
    statusDetails: {},
    stage: Stage.FINISHED,
    start: at,
    stop: at,
    steps: [],
    attachments: [],
    parameters: [],
  };
}

function checkStep(cell: CellRecord, check: Check): StepResult {
  const status = checkAllureStatus(cell, check);
  const expected = isExpectedFailure(cell, check) ? ' (expected failure)' : '';
  const notJudged = status === Status.SKIPPED ? ` (not judged: the cell ${cell.status})` : '';
  const at = epochMs(cell.endedAt);
  return {
    name: `check ${check.name}: ${check.message}${expected}${notJudged}`,
    status,
    statusDetails: check.passed ? {} : { message: check.message },
    stage: Stage.FINISHED,
    start: at,
    stop: at,
    steps: [],
    attachments: [],
    parameters: [
      { name: 'category', value: check.category },
      { name: 'value', value: check.value === null ? 'not measured' : String(check.value) },
      { name: 'limit', value: check.limit === null ? 'none' : String(check.limit) },
      { name: 'passed', value: String(check.passed) },
    ],
  };
}
