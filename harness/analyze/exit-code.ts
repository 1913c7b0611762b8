import type { CellRecord } from '../common/run-record.js';

/**
 * The CLI's exit code for a finished run: 130 interrupted; 3 when a cell that did not match its
 * expectation is errored, inconclusive or timed out (the verdict is not trustworthy); 1 when
 * another cell did not match (a real failure, or an expected failure that passed); else 0.
 * Usage and config errors (2) happen before cells exist and are decided by the CLI.
 */
export function exitCodeFor(
  cells: ReadonlyArray<Pick<CellRecord, 'status' | 'matchedExpectation'>>,
  interrupted: boolean,
): number {
  if (interrupted) return 130;
  const unmatched = cells.filter((c) => !c.matchedExpectation);
  if (
    unmatched.some((c) => c.status === 'errored' || c.status === 'inconclusive' || c.status === 'timedout')
  ) {
    return 3;
  }
  if (unmatched.length > 0) return 1;
  return 0;
}
