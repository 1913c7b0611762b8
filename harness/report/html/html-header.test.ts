import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../common/run-record.js';
import { buildRunRecord, cellStart, passedCell } from '../../testing/run-record-builder.js';
import { renderHeader } from './overview.js';

function fourPassed(): RunRecord['cells'] {
  return [0, 1, 2, 3].map((k) => passedCell({ id: `cell-${k}`, startedAt: cellStart(k) }));
}

/** The verdict paragraph: its class and its text. */
function verdictOf(record: RunRecord): { className: string; text: string } {
  const match = renderHeader(record).match(/<p class="verdict ([^"]+)">([^<]*)<\/p>/);
  if (!match) throw new Error('no verdict in the header');
  return { className: match[1] ?? '', text: match[2] ?? '' };
}

describe('the report header', () => {
  it('is green only for a finished run, exit code 0, every cell as expected', () => {
    expect(verdictOf(buildRunRecord({ cells: fourPassed() }))).toEqual({
      className: 'expected-ok',
      text: '✔ 4 of 4 cells as expected',
    });
  });

  it('is red and says the run did not finish when it was cut short, even if every cell it has passed', () => {
    // What run.json holds after Ctrl-C pressed twice: the finished cells, status and exit code as first written.
    const record = buildRunRecord({ cells: fourPassed(), status: 'interrupted', exitCode: 130 });
    const verdict = verdictOf(record);
    expect(verdict.className).toBe('unexpected');
    expect(verdict.text).toBe(
      '✘ The run did not finish (interrupted, exit code 130): 4 cells finished, all as expected; cells that had not finished when it stopped may be missing from this report',
    );
    expect(verdict.text).not.toContain('✔');
  });

  it('counts the cells of an interrupted run that never finished when the record lists them', () => {
    const cells = fourPassed();
    const notRun = cells[3];
    if (!notRun) throw new Error('no cell');
    notRun.status = 'interrupted';
    notRun.matchedExpectation = false;
    notRun.reason = 'not started: the run was interrupted';
    const verdict = verdictOf(buildRunRecord({ cells, status: 'interrupted' }));
    expect(verdict.className).toBe('unexpected');
    expect(verdict.text).toBe(
      '✘ The run did not finish (interrupted, exit code 130): 3 of 4 cells finished, all as expected',
    );
  });

  it('is red when the exit code is not 0, whatever the cells say', () => {
    const verdict = verdictOf(buildRunRecord({ cells: fourPassed(), exitCode: 3 }));
    expect(verdict.className).toBe('unexpected');
    expect(verdict.text).toBe('✘ 4 of 4 cells as expected, but the run ended with exit code 3');
  });

  it('is red when a cell was not as expected', () => {
    const cells = fourPassed();
    cells.push(passedCell({ id: 'wrong', expected: { status: 'failed', reason: 'downtime' } }));
    const verdict = verdictOf(buildRunRecord({ cells }));
    expect(verdict).toEqual({ className: 'unexpected', text: '✘ 1 of 5 cells not as expected' });
  });
});
