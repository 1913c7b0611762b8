import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../common/run-record.js';
import {
  buildRunRecord,
  erroredCell,
  expectedErrorBudgetFailureCell,
  inconclusiveCell,
  lostWritesCell,
  passedCell,
  realisticRunRecord,
  rolledBackCell,
  unexpectedPassCell,
} from './run-record-builder.js';

const everyKind: Array<[string, () => CellRecord]> = [
  ['passed', () => passedCell()],
  ['expected error-budget failure', () => expectedErrorBudgetFailureCell()],
  ['errored', () => erroredCell()],
  ['rolled back', () => rolledBackCell()],
  ['inconclusive', () => inconclusiveCell()],
  ['unexpected pass', () => unexpectedPassCell()],
  ['lost writes', () => lostWritesCell()],
];

describe('run record builder', () => {
  it.each(everyKind)('builds a self-consistent %s cell', (_kind, build) => {
    const cell = build();
    const outcomes = Object.values(cell.requests.byOutcome).reduce((a, b) => a + (b ?? 0), 0);
    expect(outcomes).toBe(cell.requests.total);
    expect(cell.errorBudget.failures).toBe(cell.requests.failed);
    expect(cell.errorBudget.requests).toBeLessThanOrEqual(cell.requests.total);
    expect(cell.downtimeSeconds).toBeCloseTo(
      cell.downtime.reduce((s, d) => s + d.seconds, 0),
      9,
    );
    if (cell.errorBudget.allowedFailures > 0) {
      expect(cell.errorBudget.consumedRatio).toBeCloseTo(
        cell.errorBudget.failures / cell.errorBudget.allowedFailures,
      );
    }
    expect(cell.phases.at(-1)?.endedAt).toBe(cell.endedAt);
    expect(cell.dataIntegrity.verified + cell.dataIntegrity.lost).toBe(cell.dataIntegrity.acknowledged);
    const failedChecks = cell.checks.filter((c) => !c.passed).map((c) => c.category);
    if (cell.status === 'failed') expect(failedChecks).toContain(cell.reason);
    if (cell.status === 'passed') expect(failedChecks).toEqual([]);
  });

  it('builds the five-cell run with the exit code the CLI would choose', () => {
    const record = realisticRunRecord();
    expect(record.cells.map((c) => [c.status, c.matchedExpectation])).toEqual([
      ['passed', true],
      ['failed', false],
      ['failed', true],
      ['errored', false],
      ['failed', false],
    ]);
    expect(new Set(record.cells.map((c) => c.id)).size).toBe(5);
    expect(record.exitCode).toBe(3);
    expect(buildRunRecord({ cells: [passedCell(), expectedErrorBudgetFailureCell()] }).exitCode).toBe(0);
    expect(buildRunRecord({ status: 'interrupted' }).exitCode).toBe(130);
  });

  it('matches expectations the way a test asks', () => {
    expect(
      expectedErrorBudgetFailureCell({ expected: { status: 'failed', reason: 'downtime' } })
        .matchedExpectation,
    ).toBe(false);
    expect(unexpectedPassCell().matchedExpectation).toBe(false);
    expect(erroredCell({ expected: { status: 'errored' } }).matchedExpectation).toBe(true);
  });
});
