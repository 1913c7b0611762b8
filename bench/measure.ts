import { machineCpuMs, processCpuMs } from './proc-cpu.js';
import type { StepEnv } from './types.js';

export type { StepEnv } from './types.js';

/** Starts reading the server's and the machine's CPU time; `stop()` gives what was used since. */
export async function startEnvProbe(
  serverPid: number | null,
  ticks: number,
): Promise<{ stop(): Promise<StepEnv> }> {
  const server0 = serverPid === null ? null : await processCpuMs(serverPid, ticks);
  const machine0 = await machineCpuMs(ticks);
  const started = performance.now();
  return {
    stop: async () => {
      const wallMs = performance.now() - started;
      const server1 = serverPid === null ? null : await processCpuMs(serverPid, ticks);
      const machine1 = await machineCpuMs(ticks);
      return {
        wallMs,
        serverCpuMs: server0 !== null && server1 !== null ? server1 - server0 : null,
        machineBusyMs: machine0 && machine1 ? machine1.busyMs - machine0.busyMs : null,
      };
    },
  };
}

/** Runs `fn`, reading the server's and the machine's CPU time around it. */
export async function withEnv<T>(
  serverPid: number | null,
  ticks: number,
  fn: () => Promise<T>,
): Promise<{ value: T; env: StepEnv }> {
  const probe = await startEnvProbe(serverPid, ticks);
  const value = await fn();
  return { value, env: await probe.stop() };
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
