import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { silentLogger } from '../common/logger.js';
import { PhaseRunner } from './phase-runner.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PhaseRunner teardown', () => {
  it('runs teardowns last-first, each within the step time or its own (a slow namespace deletion)', async () => {
    const runner = new PhaseRunner(new AbortController().signal, systemClock, silentLogger());
    const order: string[] = [];
    runner.defer(
      'platform',
      async () => {
        await wait(300);
        order.push('platform');
      },
      5_000,
    );
    runner.defer('installation', async () => {
      await wait(300);
      order.push('installation');
    });
    const problems = await runner.teardown(100);
    // The installation took longer than the 100 ms step: a problem; the platform had its own 5 s.
    expect(problems).toEqual([expect.stringMatching(/^installation: .*took longer than 100 ms/)]);
    expect(order).toContain('platform');
  });
});
