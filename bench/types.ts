import type { LoadSummary } from '../harness/load/load-driver.js';
/** What a benchmark child prints as its last stdout line (after RESULT_MARKER) and the parent reads. */

export const RESULT_MARKER = 'BENCH_RESULT ';

/** Names of the rows of (a) that the report looks up. */
export const TOOL = {
  autocannon: 'autocannon 8',
  ours: 'ours (builtin)',
  undici: 'undici dispatch, bare loop (ceiling)',
} as const;

/** CPU time a process spent, in milliseconds. */
export interface CpuMs {
  userMs: number;
  systemMs: number;
}

/** What else ran while a load ran: the server's CPU and the whole machine's (from /proc). */
export interface StepEnv {
  wallMs: number;
  /** CPU the server process used (ms); null when /proc could not be read. */
  serverCpuMs: number | null;
  /** Busy CPU time of the whole machine (ms, all cores); null without /proc. */
  machineBusyMs: number | null;
}

/** Where a child reads the server's CPU from, so the window is exactly its load's. */
export interface EnvProbeTarget {
  serverPid: number;
  /** Clock ticks per second of /proc's CPU times. */
  ticks: number;
}

/** One point of a process' memory over time (`atMs` from the start of the load). */
export interface MemoryPoint {
  atMs: number;
  rssMb: number;
  heapUsedMb: number;
}

/** Options of one run of our generator in a child process. */
export interface OursTask extends EnvProbeTarget {
  kind: 'ours';
  url: string;
  rate: number;
  maxInFlight: number;
  durationMs: number;
  timeoutMs: number;
  /** Record RSS every this many ms (0: only at start and end). */
  memoryEveryMs: number;
  /** Run the same load this long first, unmeasured, in the same process (JIT, server warm); 0: none. */
  warmupMs?: number;
}

export interface OursResult extends Omit<LoadSummary, 'acknowledgedKeys'> {
  kind: 'ours';
  /** How samples were consumed: the harness' CellFold, or a counter + HDR latency when it is absent. */
  consumer: 'CellFold' | 'counter';
  /** Samples drained from `samples()`, and how many of them were `ok`. */
  samples: number;
  ok: number;
  /** Event-loop delay of the generator process (perf_hooks, 10 ms resolution): stalls show here. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  cpu: CpuMs;
  wallMs: number;
  /** Server and machine CPU over the load (driver start to the last sample). */
  env: StepEnv;
  memory: MemoryPoint[];
}

export interface AutocannonTask extends EnvProbeTarget {
  kind: 'autocannon';
  url: string;
  connections: number;
  durationMs: number;
}

export interface AutocannonResult {
  kind: 'autocannon';
  durationS: number;
  completed: number;
  ok: number;
  errors: number;
  timeouts: number;
  latencyP99Ms: number;
  cpu: CpuMs;
  env: StepEnv;
}

/** A bare closed loop on undici `Pool.dispatch`: the ceiling of the library our generator uses. */
export interface UndiciTask extends EnvProbeTarget {
  kind: 'undici';
  url: string;
  /** Requests in flight at all times (one Pool, default connection limit). */
  connections: number;
  durationMs: number;
  timeoutMs: number;
  /** Stop sending after this many requests even when durationMs has not passed. */
  maxRequests: number;
}

/** Counts of one bare closed-loop run. */
export interface BareLoopCounts {
  sent: number;
  /** 2xx completions. */
  ok: number;
  non2xx: number;
  errors: number;
  /** From the first dispatch until the last request in flight ended. */
  windowMs: number;
}

export interface UndiciResult extends BareLoopCounts {
  kind: 'undici';
  cpu: CpuMs;
  env: StepEnv;
}

export interface FoldTask {
  kind: 'fold';
  /** Samples to fold (CellFold) or to analyze (the analyzeCell fallback). */
  samples: number;
  /** Fall back to analyzeCell on this many samples when CellFold does not exist. */
  fallbackSamples: number;
}

export interface FoldResult {
  kind: 'fold';
  /** CellFold when harness/analyze/fold.ts exists, else analyzeCell on an array (the pending case). */
  method: 'CellFold' | 'analyzeCell';
  samples: number;
  /** Time to fold (or analyze) them, sample generation excluded where it can be. */
  foldMs: number;
  /** Time the same synthetic samples take to generate alone (subtracted from the fold pass). */
  generateMs: number;
  heapUsedMb: number;
  /** Why the fold could not be used (when method is analyzeCell). */
  note?: string;
}

export type BenchTask = OursTask | AutocannonTask | UndiciTask | FoldTask;
export type BenchResult = OursResult | AutocannonResult | UndiciResult | FoldResult;
