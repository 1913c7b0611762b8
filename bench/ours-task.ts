import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sleep, systemClock } from '../harness/common/clock.js';
import type { RunContext } from '../harness/common/context.js';
import { silentLogger } from '../harness/common/logger.js';
import { BuiltinLoadDriver } from '../harness/load/builtin/builtin-driver.js';
import type { LoadProfile } from '../harness/load/load-driver.js';
import { loadCellFold } from './fold-loader.js';
import { startEnvProbe } from './measure.js';
import { counterConsumer, foldConsumer, type SampleConsumer } from './sample-consumer.js';
import type { MemoryPoint, OursResult, OursTask } from './types.js';

const MB = 1024 * 1024;

/** One endpoint on reused (keep-alive) connections: the shape autocannon and wrk also send. */
export function benchProfile(task: OursTask): LoadProfile {
  return {
    rate: task.rate,
    connections: ['reused'],
    timeoutMs: task.timeoutMs,
    maxInFlight: task.maxInFlight,
    endpoints: [{ name: 'root', class: 'api', method: 'GET', path: '/', weight: 1, expectStatus: [200] }],
    versionProbe: { header: 'x-app-version' },
    // The hard bound; stop() is called at durationMs.
    maxDurationMs: task.durationMs + 1000,
  };
}

/** The same load for `task.warmupMs`, its samples drained and dropped: the measured run then starts warm. */
async function warmUp(task: OursTask): Promise<void> {
  const ctx: RunContext = {
    runId: 'bench-warmup',
    cellId: 'bench-warmup',
    signal: new AbortController().signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: tmpdir(),
    event: () => undefined,
  };
  const load = await new BuiltinLoadDriver().start({ baseUrls: [task.url] }, benchProfile(task), ctx);
  const drained = (async () => {
    for await (const _ of load.samples()) {
      // dropped: only the warm-up's effect (JIT, server) is wanted
    }
  })();
  await sleep(task.warmupMs ?? 0);
  await load.stop();
  await drained;
}

function memoryPoint(atMs: number): MemoryPoint {
  const m = process.memoryUsage();
  return { atMs, rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB };
}

/**
 * Runs BuiltinLoadDriver for `durationMs` and drains `samples()` into the harness' fold (or a
 * counter without it), measuring this process' CPU over the whole load and its memory over time.
 */
export async function runOurs(task: OursTask): Promise<OursResult> {
  const fold = await loadCellFold();
  const controller = new AbortController();
  if (task.warmupMs) await warmUp(task);
  const ctx: RunContext = {
    runId: 'bench',
    cellId: 'bench',
    signal: controller.signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: tmpdir(),
    event: () => undefined,
  };
  const memory: MemoryPoint[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const probe = await startEnvProbe(task.serverPid, task.ticks);
  const cpuBefore = process.cpuUsage();
  const wallStart = performance.now();
  memory.push(memoryPoint(0));
  // The baseline phase starts before the first request can.
  const t0 = systemClock.now();
  const load = await new BuiltinLoadDriver().start({ baseUrls: [task.url] }, benchProfile(task), ctx);
  const consumer: SampleConsumer = fold.ok
    ? foldConsumer(new fold.CellFold({ bucketMs: 100, timeoutMs: task.timeoutMs }), t0)
    : counterConsumer();
  let samples = 0;
  let ok = 0;
  const drained = (async () => {
    for await (const s of load.samples()) {
      samples++;
      if (s.outcome === 'ok') ok++;
      consumer.add(s);
    }
  })();
  const timer =
    task.memoryEveryMs > 0
      ? setInterval(() => memory.push(memoryPoint(performance.now() - wallStart)), task.memoryEveryMs)
      : undefined;
  try {
    await sleep(task.durationMs);
  } finally {
    if (timer) clearInterval(timer);
  }
  const summary = await load.stop();
  await drained;
  consumer.finish();
  const cpu = process.cpuUsage(cpuBefore);
  const env = await probe.stop();
  loopDelay.disable();
  const wallMs = performance.now() - wallStart;
  memory.push(memoryPoint(wallMs));
  return {
    kind: 'ours',
    consumer: consumer.name,
    startedAt: summary.startedAt,
    stoppedAt: summary.stoppedAt,
    targetRate: summary.targetRate,
    scheduled: summary.scheduled,
    sent: summary.sent,
    dropped: summary.dropped,
    scheduleLagP99Ms: summary.scheduleLagP99Ms,
    samples,
    ok,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    wallMs,
    env,
    memory,
  };
}
