import { performance } from 'node:perf_hooks';
import type { ProcessLoad } from './run-record.js';

/** Measures this process from now until `stop()`: CPU cores used and event-loop utilization. */
export interface ProcessLoadMeter {
  /** The measurement since the meter started; may be called more than once (each from the start). */
  stop(): ProcessLoad;
}

export function startProcessLoadMeter(): ProcessLoadMeter {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const wall0 = performance.now();
  return {
    stop() {
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const seconds = Math.max(1e-6, (performance.now() - wall0) / 1000);
      return {
        seconds: Number(seconds.toFixed(3)),
        cpuCores: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(3)),
        eventLoopUtilization: Number(elu.utilization.toFixed(3)),
      };
    },
  };
}
