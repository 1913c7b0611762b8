import { sleep } from '../harness/common/clock.js';
import type { BenchPlan } from './args.js';
import { type StepEnv, slope, withEnv } from './measure.js';
import { runTask } from './processes.js';
import type {
  AutocannonResult,
  EnvProbeTarget,
  FoldResult,
  OursResult,
  OursTask,
  UndiciResult,
} from './types.js';
import { TOOL } from './types.js';
import { runWrk } from './wrk.js';

/** What the steps share: the server, where child logs go, the abort signal and /proc's tick rate. */
export interface StepContext {
  plan: BenchPlan;
  url: string;
  serverPid: number;
  ticks: number;
  signal: AbortSignal;
  logFile: string;
  progress(line: string): void;
}

export interface ThroughputRow {
  tool: string;
  /** Completed 2xx responses per second. */
  okPerS: number;
  failed: number;
  /** CPU of the generator process, ms; null when not measured (wrk). */
  generatorCpuMs: number | null;
  cpuPer1kMs: number | null;
  detail: string;
  env: StepEnv;
}

export interface RateRow {
  targetRate: number;
  /** sent / scheduling window, as the harness' load self-check computes it. */
  achievedRate: number;
  okPerS: number;
  dropped: number;
  scheduleLagP99Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  generatorCpuMs: number;
  cpuPer1kMs: number;
  consumer: string;
  env: StepEnv;
}

export interface MemoryRun {
  rate: number;
  durationMs: number;
  baselineAtMs: number;
  rssBaselineMb: number;
  rssEndMb: number;
  growthMb: number;
  /** RSS trend after the baseline point, MB per minute (least squares). */
  slopeMbPerMin: number;
  heapBaselineMb: number;
  heapEndMb: number;
  achievedRate: number;
  scheduleLagP99Ms: number;
  samples: number;
  consumer: string;
  series: Array<{ atS: number; rssMb: number; heapUsedMb: number }>;
  env: StepEnv;
}

const PAUSE_MS = 1000;
const WARMUP_MS = 2000;
/** The scenario default of traffic.maxInFlight (harness/config/schema.ts), used in (b) and (c). */
const DEFAULT_MAX_IN_FLIGHT = 256;
/**
 * (b) first runs each rate unmeasured for this long in the same child: a cold process (no JIT yet)
 * opening its first connections drops requests in its first few hundred ms, which says nothing
 * about holding a rate (a cell's baseline phase plays this part in a real run).
 */
const FIXED_RATE_WARMUP_MS = 2000;
/** Margin a child gets over its load time for starting node + tsx and stopping. */
const CHILD_MARGIN_MS = 60_000;
/** Bound on the bare loop's requests: far above what one local node:http server can answer. */
const MAX_BARE_REQUESTS_PER_S = 1_000_000;

function windowS(r: OursResult): number {
  return Math.max(0.001, (r.stoppedAt - r.startedAt) / 1000);
}

function probeTarget(ctx: StepContext): EnvProbeTarget {
  return { serverPid: ctx.serverPid, ticks: ctx.ticks };
}

function oursTask(
  ctx: StepContext,
  rate: number,
  maxInFlight: number,
  durationMs: number,
  memoryEveryMs = 0,
): OursTask {
  return {
    ...probeTarget(ctx),
    kind: 'ours',
    url: ctx.url,
    rate,
    maxInFlight,
    durationMs,
    timeoutMs: 10_000,
    memoryEveryMs,
  };
}

/**
 * (a) Max throughput: autocannon, ours at a rate far above capacity with maxInFlight = connections,
 * a bare closed loop on undici's Pool.dispatch (the ceiling of the library ours uses), wrk.
 */
export async function maxThroughput(ctx: StepContext, wrkVersion: string | null): Promise<ThroughputRow[]> {
  const { plan } = ctx;
  const rows: ThroughputRow[] = [];
  const timeout = plan.stepMs + CHILD_MARGIN_MS;
  // Whoever goes first would otherwise meet a cold server (no JIT, no warm sockets).
  ctx.progress(`(a) warming the server up: autocannon, ${WARMUP_MS / 1000} s, not measured`);
  await runTask<AutocannonResult>(
    {
      ...probeTarget(ctx),
      kind: 'autocannon',
      url: ctx.url,
      connections: plan.connections,
      durationMs: WARMUP_MS,
    },
    WARMUP_MS + CHILD_MARGIN_MS,
    ctx.signal,
    ctx.logFile,
  );
  await sleep(PAUSE_MS, ctx.signal);
  ctx.progress(`(a) autocannon: ${plan.connections} connections, ${plan.stepMs / 1000} s`);
  const ac = await runTask<AutocannonResult>(
    {
      ...probeTarget(ctx),
      kind: 'autocannon',
      url: ctx.url,
      connections: plan.connections,
      durationMs: plan.stepMs,
    },
    timeout,
    ctx.signal,
    ctx.logFile,
  );
  const acCpu = ac.cpu.userMs + ac.cpu.systemMs;
  rows.push({
    tool: TOOL.autocannon,
    okPerS: ac.ok / ac.durationS,
    failed: ac.errors + (ac.completed - ac.ok),
    generatorCpuMs: acCpu,
    cpuPer1kMs: ac.completed > 0 ? acCpu / (ac.completed / 1000) : null,
    detail: `${ac.completed} responses in ${ac.durationS} s, latency p99 ${ac.latencyP99Ms} ms`,
    env: ac.env,
  });
  await sleep(PAUSE_MS, ctx.signal);

  ctx.progress(
    `(a) ours: target ${plan.saturationRate} req/s, maxInFlight ${plan.connections}, ${plan.stepMs / 1000} s`,
  );
  const o = await runTask<OursResult>(
    oursTask(ctx, plan.saturationRate, plan.connections, plan.stepMs),
    timeout,
    ctx.signal,
    ctx.logFile,
  );
  const oCpu = o.cpu.userMs + o.cpu.systemMs;
  rows.push({
    tool: TOOL.ours,
    okPerS: o.ok / windowS(o),
    failed: o.samples - o.ok,
    generatorCpuMs: oCpu,
    cpuPer1kMs: o.samples > 0 ? oCpu / (o.samples / 1000) : null,
    detail: `${o.samples} samples (${o.consumer}) in ${windowS(o).toFixed(2)} s, ${o.dropped} of ${o.scheduled} scheduled dropped at the cap`,
    env: o.env,
  });
  await sleep(PAUSE_MS, ctx.signal);
  rows.push(await bareUndici(ctx));

  if (plan.wrk && wrkVersion) {
    await sleep(PAUSE_MS, ctx.signal);
    ctx.progress(
      `(a) wrk: ${plan.wrkThreads} thread, ${plan.connections} connections, ${plan.stepMs / 1000} s`,
    );
    const w = await withEnv(ctx.serverPid, ctx.ticks, () =>
      runWrk(ctx.url, {
        version: wrkVersion,
        threads: plan.wrkThreads,
        connections: plan.connections,
        durationMs: plan.stepMs,
        signal: ctx.signal,
      }),
    );
    rows.push({
      tool: `wrk -t${plan.wrkThreads}`,
      okPerS: (w.value.requests - w.value.non2xx) / w.value.durationS,
      failed: w.value.non2xx + w.value.socketErrors,
      generatorCpuMs: null,
      cpuPer1kMs: null,
      detail: `${w.value.requests} responses in ${w.value.durationS} s (${w.value.version})`,
      env: w.env,
    });
  }
  return rows;
}

/**
 * (a) The ceiling of the library ours is built on: a closed loop of `connections` requests on
 * undici's Pool.dispatch with a handler that only counts, nothing scheduled, timed or recorded.
 */
async function bareUndici(ctx: StepContext): Promise<ThroughputRow> {
  const { plan } = ctx;
  ctx.progress(
    `(a) undici Pool.dispatch bare closed loop: ${plan.connections} in flight, ${plan.stepMs / 1000} s`,
  );
  const u = await runTask<UndiciResult>(
    {
      ...probeTarget(ctx),
      kind: 'undici',
      url: ctx.url,
      connections: plan.connections,
      durationMs: plan.stepMs,
      timeoutMs: 10_000,
      maxRequests: Math.ceil((plan.stepMs / 1000) * MAX_BARE_REQUESTS_PER_S),
    },
    plan.stepMs + CHILD_MARGIN_MS,
    ctx.signal,
    ctx.logFile,
  );
  const cpu = u.cpu.userMs + u.cpu.systemMs;
  const seconds = Math.max(0.001, u.windowMs / 1000);
  return {
    tool: TOOL.undici,
    okPerS: u.ok / seconds,
    failed: u.non2xx + u.errors,
    generatorCpuMs: cpu,
    cpuPer1kMs: u.sent > 0 ? cpu / (u.sent / 1000) : null,
    detail: `${u.sent} requests, ${u.ok} 2xx, ${u.non2xx} other status, ${u.errors} errors in ${seconds.toFixed(2)} s; no sample recorded`,
    env: u.env,
  };
}

/** (b) Fixed target rates on reused connections: achieved rate, schedule lag, CPU per 1k requests. */
export async function fixedRates(ctx: StepContext): Promise<RateRow[]> {
  const { plan } = ctx;
  const rows: RateRow[] = [];
  for (const rate of plan.rates) {
    await sleep(PAUSE_MS, ctx.signal);
    ctx.progress(`(b) ours: ${rate} req/s, ${plan.stepMs / 1000} s`);
    const o = await runTask<OursResult>(
      { ...oursTask(ctx, rate, DEFAULT_MAX_IN_FLIGHT, plan.stepMs), warmupMs: FIXED_RATE_WARMUP_MS },
      plan.stepMs + FIXED_RATE_WARMUP_MS + CHILD_MARGIN_MS,
      ctx.signal,
      ctx.logFile,
    );
    const cpu = o.cpu.userMs + o.cpu.systemMs;
    rows.push({
      targetRate: rate,
      achievedRate: o.sent / windowS(o),
      okPerS: o.ok / windowS(o),
      dropped: o.dropped,
      scheduleLagP99Ms: o.scheduleLagP99Ms,
      loopDelayP99Ms: o.loopDelayP99Ms,
      loopDelayMaxMs: o.loopDelayMaxMs,
      generatorCpuMs: cpu,
      cpuPer1kMs: o.sent > 0 ? cpu / (o.sent / 1000) : 0,
      consumer: o.consumer,
      env: o.env,
    });
  }
  return rows;
}

/** (c) RSS of the generator process over a long run at 1k req/s, samples drained as the harness does. */
export async function memoryGrowth(ctx: StepContext): Promise<MemoryRun> {
  const m = ctx.plan.memory;
  await sleep(PAUSE_MS, ctx.signal);
  ctx.progress(`(c) ours: ${m.rate} req/s for ${m.durationMs / 1000} s, RSS every ${m.everyMs / 1000} s`);
  const o = await runTask<OursResult>(
    oursTask(ctx, m.rate, DEFAULT_MAX_IN_FLIGHT, m.durationMs, m.everyMs),
    m.durationMs + CHILD_MARGIN_MS,
    ctx.signal,
    ctx.logFile,
  );
  const nearest = (atMs: number) =>
    o.memory.reduce((best, p) => (Math.abs(p.atMs - atMs) < Math.abs(best.atMs - atMs) ? p : best));
  const base = nearest(m.baselineAtMs);
  const end = o.memory[o.memory.length - 1] ?? base;
  const after = o.memory.filter((p) => p.atMs >= base.atMs).map((p) => ({ x: p.atMs / 60_000, y: p.rssMb }));
  return {
    rate: m.rate,
    durationMs: m.durationMs,
    baselineAtMs: base.atMs,
    rssBaselineMb: base.rssMb,
    rssEndMb: end.rssMb,
    growthMb: end.rssMb - base.rssMb,
    slopeMbPerMin: slope(after),
    heapBaselineMb: base.heapUsedMb,
    heapEndMb: end.heapUsedMb,
    achievedRate: o.sent / windowS(o),
    scheduleLagP99Ms: o.scheduleLagP99Ms,
    samples: o.samples,
    consumer: o.consumer,
    series: o.memory.map((p) => ({ atS: p.atMs / 1000, rssMb: p.rssMb, heapUsedMb: p.heapUsedMb })),
    env: o.env,
  };
}

/** (d) Folding synthetic samples into the analysis (CellFold), or analyzeCell while CellFold is missing. */
export async function foldTime(ctx: StepContext): Promise<FoldResult> {
  await sleep(PAUSE_MS, ctx.signal);
  const { fold } = ctx.plan;
  ctx.progress(`(d) fold ${fold.samples.toLocaleString('en')} synthetic samples (if CellFold exists)`);
  return runTask<FoldResult>(
    { kind: 'fold', samples: fold.samples, fallbackSamples: fold.fallbackSamples },
    (fold.samples / 1_000_000) * 30_000 + CHILD_MARGIN_MS,
    ctx.signal,
    ctx.logFile,
  );
}
