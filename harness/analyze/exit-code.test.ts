import { describe, expect, it } from 'vitest';
import { exitCodeFor } from './exit-code.js';

describe('exitCodeFor', () => {
  it('is 0 when every cell matched', () => {
    expect(exitCodeFor([], false)).toBe(0);
    expect(
      exitCodeFor(
        [
          { status: 'passed', matchedExpectation: true },
          { status: 'failed', matchedExpectation: true },
        ],
        false,
      ),
    ).toBe(0);
  });

  it('is 1 for an unmatched failed or passed cell', () => {
    expect(exitCodeFor([{ status: 'failed', matchedExpectation: false }], false)).toBe(1);
    expect(exitCodeFor([{ status: 'passed', matchedExpectation: false }], false)).toBe(1);
  });

  it('is 3 when an unmatched cell is errored, inconclusive or timed out, even beside failures', () => {
    for (const status of ['errored', 'inconclusive', 'timedout'] as const) {
      expect(
        exitCodeFor(
          [
            { status: 'failed', matchedExpectation: false },
            { status, matchedExpectation: false },
          ],
          false,
        ),
      ).toBe(3);
    }
    expect(exitCodeFor([{ status: 'errored', matchedExpectation: true }], false)).toBe(0);
  });

  it('is 130 when interrupted', () => {
    expect(exitCodeFor([{ status: 'errored', matchedExpectation: false }], true)).toBe(130);
  });
});
