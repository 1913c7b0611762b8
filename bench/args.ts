export type BenchMode = 'quick' | 'default' | 'long';
export type StepName = 'a' | 'b' | 'c' | 'd';

export interface BenchPlan {
  mode: BenchMode;
  steps: StepName[];
  connections: number;
  /** Length of each throughput (a) and fixed-rate (b) step. */
  stepMs: number;
  /** Target rate of our generator in (a): far above what one machine can serve. */
  saturationRate: number;
  rates: number[];
  memory: { rate: number; durationMs: number; baselineAtMs: number; everyMs: number };
  fold: { samples: number; fallbackSamples: number };
  wrk: boolean;
  wrkThreads: number;
  /** Where RESULTS.md goes; null: print only. */
  out: string | null;
}

export const USAGE = `npm run bench [-- options]
  --quick            3 s steps, 9 s memory run, 1 M samples in (d); prints only (unless --out)
  --long             (c) runs the real 5 minutes at 1k req/s (RSS after 30 s vs after 5 min)
  --only a,b,c,d     run only these parts
  --connections N    connections / in-flight cap in (a) (default 50)
  --no-wrk           skip the wrk peer in (a)
  --out FILE         write the results there (default bench/RESULTS.md, none with --quick)
  --help`;

const SECOND = 1000;

/** The plan for the command line `argv` (without node and the script); throws on unknown flags. */
export function parseArgs(argv: readonly string[], defaultOut: string): BenchPlan | 'help' {
  let mode: BenchMode = 'default';
  let steps: StepName[] = ['a', 'b', 'c', 'd'];
  let connections = 50;
  let wrk = true;
  let out: string | null | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--quick') mode = mode === 'long' ? 'long' : 'quick';
    else if (arg === '--long') mode = 'long';
    else if (arg === '--no-wrk') wrk = false;
    else if (arg === '--out') out = value();
    else if (arg === '--connections') {
      connections = Number(value());
      if (!Number.isInteger(connections) || connections < 1 || connections > 1000)
        throw new Error('--connections must be an integer from 1 to 1000');
    } else if (arg === '--only') {
      const list = value().split(',');
      const bad = list.filter((s) => !['a', 'b', 'c', 'd'].includes(s));
      if (bad.length > 0 || list.length === 0)
        throw new Error(`--only takes a list of a, b, c, d; got ${bad}`);
      steps = ['a', 'b', 'c', 'd'].filter((s) => list.includes(s)) as StepName[];
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  const quick = mode === 'quick';
  const memory =
    mode === 'long'
      ? { rate: 1000, durationMs: 300 * SECOND, baselineAtMs: 30 * SECOND, everyMs: 10 * SECOND }
      : quick
        ? { rate: 1000, durationMs: 9 * SECOND, baselineAtMs: 3 * SECOND, everyMs: 1 * SECOND }
        : { rate: 1000, durationMs: 60 * SECOND, baselineAtMs: 30 * SECOND, everyMs: 5 * SECOND };
  return {
    mode,
    steps,
    connections,
    stepMs: quick ? 3 * SECOND : 10 * SECOND,
    saturationRate: 200_000,
    rates: [1000, 5000, 10_000],
    memory,
    fold: quick
      ? { samples: 1_000_000, fallbackSamples: 200_000 }
      : { samples: 10_000_000, fallbackSamples: 1_000_000 },
    wrk,
    wrkThreads: 1,
    out: out === undefined ? (quick ? null : defaultOut) : out,
  };
}

/** Rough wall time of the plan, for the server's lifetime bound and the progress line. */
export function plannedMs(plan: BenchPlan): number {
  const has = (s: StepName) => plan.steps.includes(s);
  const startup = 3 * SECOND;
  let total = 0;
  if (has('a')) total += (plan.wrk ? 4 : 3) * (plan.stepMs + startup) + 2 * SECOND + startup;
  if (has('b')) total += plan.rates.length * (plan.stepMs + 2 * SECOND + startup); // each rate warms up 2 s
  if (has('c')) total += plan.memory.durationMs + startup;
  if (has('d')) total += (plan.fold.samples / 1_000_000) * 3 * SECOND + startup;
  return total;
}
