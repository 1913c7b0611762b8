import { Stage, Status } from 'allure-js-commons';
import { type CellRecord, CHECK_CATEGORIES, type Check } from '../../common/run-record.js';
import type { PhaseStatus } from '../../common/sample.js';
import { describeExpectation, describeOutcomeSentence, expectsNonPass } from '../format.js';
import { tagged } from './allure-categories.js';

/**
 * A cell's Allure status agrees with the exit code, which is 0 exactly when every cell matched its
 * expectation:
 * - a cell that matched its expectation is passed, whatever it ended as (a known defect that showed
 *   as expected is a passing test; the description says it failed as expected);
 * - failed, or passed against an expected failure: failed (a finding about the product);
 * - errored, timed out, interrupted: broken (the harness or platform, not the product);
 * - inconclusive: broken, not skipped. Allure's skipped means "deliberately not run" and is not
 *   counted as a problem, yet the cell ran and the run's exit code is red (3, with errored); broken
 *   is Allure's "the test could not judge the product", which is what an overloaded generator is.
 */
export function cellAllureStatus(cell: CellRecord): Status {
  if (cell.matchedExpectation) return Status.PASSED;
  return cell.status === 'passed' || cell.status === 'failed' ? Status.FAILED : Status.BROKEN;
}

export function cellAllureStage(cell: CellRecord): Stage {
  return cell.status === 'interrupted' ? Stage.INTERRUPTED : Stage.FINISHED;
}

/** True when the cell's numbers were judged (not errored, inconclusive, ...). */
export function isJudged(cell: CellRecord): boolean {
  return cell.status === 'passed' || cell.status === 'failed';
}

/**
 * statusDetails.message: why the cell did not pass, one line per cause, each tagged for
 * categories.json (`[downtime] downtime 0.587 s > 0 s allowed`). Undefined for a clean pass.
 */
export function cellStatusMessage(cell: CellRecord): string | undefined {
  const lines: string[] = [];
  if (cell.matchedExpectation && expectsNonPass(cell)) {
    lines.push(`as expected: ${describeOutcomeSentence(cell)}`);
  }
  const judged = isJudged(cell);
  if (!judged) lines.push(unjudgedLine(cell));
  const failedChecks = cell.checks.filter((c) => !c.passed);
  if (cell.status === 'failed' && failedChecks.length === 0) lines.push(failedWithoutCheckLine(cell));
  for (const check of failedChecks) {
    if (judged) lines.push(tagged(check.category, check.message));
    // An inconclusive cell's failed load check is the cause, already stated above.
    else if (!(cell.status === 'inconclusive' && check.category === 'load')) {
      lines.push(`not judged: ${check.message}`);
    }
  }
  if (!cell.matchedExpectation && expectsNonPass(cell)) {
    const expected = describeExpectation(cell.expected);
    lines.push(tagged('expectation', `expected ${expected} but ${describeOutcomeSentence(cell)}`));
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** A failed cell always names a cause, even if its record holds no failed check to say which. */
function failedWithoutCheckLine(cell: CellRecord): string {
  const first = cell.reason?.split(',')[0]?.trim();
  const category = CHECK_CATEGORIES.find((c) => c === first) ?? 'upgrade-failed';
  return tagged(category, `the cell failed${cell.reason ? ` (${cell.reason})` : ''}`);
}

function unjudgedLine(cell: CellRecord): string {
  const where = cell.error ? ` in phase ${cell.error.phase}` : '';
  const what = cell.error?.message ?? cell.reason;
  const detail = what ? `: ${what}` : '';
  switch (cell.status) {
    case 'inconclusive':
      return tagged(
        'load',
        `inconclusive: ${cell.load.reason ?? cell.reason ?? 'the load generator could not hold the target rate'}`,
      );
    case 'interrupted':
      return tagged('interrupted', `the cell was interrupted${where}${detail}`);
    case 'timedout':
      return tagged('infrastructure', `the cell timed out${where}${detail}`);
    default:
      return tagged('infrastructure', `the cell ${cell.status}${where}${detail}`);
  }
}

/** A phase as a step: errored, timed-out and interrupted phases are broken (not the product's fault). */
export function phaseAllureStatus(status: PhaseStatus): Status {
  switch (status) {
    case 'passed':
      return Status.PASSED;
    case 'failed':
      return Status.FAILED;
    case 'skipped':
      return Status.SKIPPED;
    case 'errored':
    case 'timedout':
    case 'interrupted':
      return Status.BROKEN;
  }
}

/**
 * A check as a step. A failed check stays failed even when the cell failed as expected (the step
 * shows what happened; the test's status shows the verdict). In a cell that was not judged, a failed
 * check is skipped: its number may be an artefact of the breakdown, not a finding about the product;
 * except the load check of an inconclusive cell, which is the breakdown.
 */
export function checkAllureStatus(cell: CellRecord, check: Check): Status {
  if (check.passed) return Status.PASSED;
  if (isJudged(cell)) return Status.FAILED;
  return cell.status === 'inconclusive' && check.category === 'load' ? Status.BROKEN : Status.SKIPPED;
}

/** Whether the matrix expected this check to fail (its category is the expected reason). */
export function isExpectedFailure(cell: CellRecord, check: Check): boolean {
  if (check.passed || !cell.matchedExpectation || !expectsNonPass(cell)) return false;
  return cell.expected?.reason === undefined || cell.expected.reason === check.category;
}
