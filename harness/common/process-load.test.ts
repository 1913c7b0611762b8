import { describe, expect, it } from 'vitest';
import { startProcessLoadMeter } from './process-load.js';

describe('startProcessLoadMeter', () => {
  it('sees a busy event loop as busy and an idle one as idle', async () => {
    const busy = startProcessLoadMeter();
    const until = performance.now() + 150;
    while (performance.now() < until) {
      // one core, event loop blocked
    }
    const b = busy.stop();
    expect(b.seconds).toBeGreaterThanOrEqual(0.149);
    expect(b.eventLoopUtilization).toBeGreaterThan(0.9);
    expect(b.cpuCores).toBeGreaterThan(0.3); // a loaded machine may lend less than a core

    const idle = startProcessLoadMeter();
    await new Promise((r) => setTimeout(r, 150));
    const i = idle.stop();
    expect(i.eventLoopUtilization).toBeLessThan(0.5);
    expect(i.cpuCores).toBeLessThan(b.cpuCores);
  });
});
