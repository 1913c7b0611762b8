import { describe, expect, it } from 'vitest';
import { bootId, processStart } from './process-identity.js';

describe('process identity', () => {
  it("reads this machine's boot id and this process's start time from /proc", () => {
    expect(bootId()).toMatch(/^[0-9a-f-]{36}$/);
    const start = processStart(process.pid);
    expect(start).toMatch(/^\d+$/);
    // Stable for a process: the same answer twice.
    expect(processStart(process.pid)).toBe(start);
  });

  it('counts fields after the command name, whatever it holds', () => {
    const stat =
      '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 11 0 987654 123 456';
    expect(processStart(4242, () => stat)).toBe('987654');
    expect(processStart(4242, () => '')).toBeUndefined();
    expect(
      processStart(999_999_999, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(processStart(0)).toBeUndefined();
  });
});
