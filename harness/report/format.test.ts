import { describe, expect, it } from 'vitest';
import type { CellRecord, ErrorBudget, RollbackResult } from '../common/run-record.js';
import { downtimeFailedCell, erroredCell, passedCell } from '../testing/run-record-builder.js';
import {
  describeExpectation,
  describeOutcome,
  describeOutcomeSentence,
  formatBudget,
  formatCount,
  formatDuration,
  formatPercent,
  formatRollback,
} from './format.js';

describe('formats for people', () => {
  it('groups thousands', () => {
    expect([0, 999, 1000, 1234567, 12.5, -4321].map(formatCount)).toEqual([
      '0',
      '999',
      '1,000',
      '1,234,567',
      '12.5',
      '-4,321',
    ]);
  });

  it('shows percentages with one decimal', () => {
    expect([0, 0.1234, 1, 36.29541].map(formatPercent)).toEqual(['0.0 %', '12.3 %', '100.0 %', '3,629.5 %']);
  });

  it('shows an unbounded budget as infinite', () => {
    const budget = (allowedFailures: number, consumedRatio: number) =>
      ({ allowedFailures, consumedRatio }) as ErrorBudget;
    expect(formatBudget(budget(0, 1e9))).toBe('∞ (0 allowed)');
    expect(formatBudget(budget(0, 0))).toBe('0.0 %');
    expect(formatBudget(budget(18, 0.5))).toBe('50.0 %');
  });

  it('shows rollbacks', () => {
    const rb = (r: Partial<RollbackResult>): RollbackResult => ({
      attempted: true,
      succeeded: null,
      seconds: null,
      ...r,
    });
    expect(formatRollback(rb({ attempted: false }))).toBe('—');
    expect(formatRollback(rb({ succeeded: true, seconds: 12.34 }))).toBe('✔ 12.3 s');
    expect(formatRollback(rb({ succeeded: false, seconds: 300 }))).toBe('✘ 300.0 s');
    expect(formatRollback(rb({ succeeded: false }))).toBe('✘');
    expect(formatRollback(rb({}))).toBe('?');
  });

  it('shows durations', () => {
    expect([850.4, 42_000, 252_000, 3_780_000, -1].map(formatDuration)).toEqual([
      '850 ms',
      '42.0 s',
      '4 min 12 s',
      '1 h 3 min',
      '—',
    ]);
  });

  it('describes expectations and outcomes', () => {
    expect(describeExpectation(undefined)).toBe('passed');
    expect(describeExpectation({ status: 'failed', reason: 'error-budget' })).toBe('failed (error-budget)');
    expect(describeOutcome(downtimeFailedCell())).toBe('failed (downtime)');
    expect(describeOutcome(erroredCell())).toBe('errored');
    const timedOut: CellRecord = { ...passedCell(), status: 'timedout' };
    expect(describeOutcomeSentence(timedOut)).toBe('the cell timed out');
    expect(describeOutcomeSentence(downtimeFailedCell())).toBe('the cell failed (downtime)');
  });
});
