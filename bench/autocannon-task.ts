import autocannon from 'autocannon';
import { startEnvProbe } from './measure.js';
import type { AutocannonResult, AutocannonTask } from './types.js';

/** autocannon's programmatic API, keep-alive connections, pipelining 1 (one request per connection at a time). */
export async function runAutocannon(task: AutocannonTask): Promise<AutocannonResult> {
  const probe = await startEnvProbe(task.serverPid, task.ticks);
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: task.url,
    connections: task.connections,
    duration: task.durationMs / 1000,
    pipelining: 1,
    timeout: 10,
  });
  const cpu = process.cpuUsage(cpuBefore);
  const env = await probe.stop();
  return {
    kind: 'autocannon',
    durationS: result.duration,
    completed: result.requests.total,
    ok: result['2xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP99Ms: result.latency.p99,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    env,
  };
}
