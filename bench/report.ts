import type { BenchMode, BenchPlan } from './args.js';
import type { StepEnv } from './measure.js';
import type { MemoryRun, RateRow, ThroughputRow } from './steps.js';
import { type FoldResult, TOOL } from './types.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryGb: number;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface BenchResults {
  plan: BenchPlan;
  command: string;
  date: string;
  machine: MachineInfo;
  peers: { autocannon: string; wrk: string | null; wrkNote: string };
  throughput?: ThroughputRow[];
  rates?: RateRow[];
  memory?: MemoryRun;
  fold?: FoldResult;
  errors: string[];
}

interface Section {
  title: string;
  headers: string[];
  rows: string[][];
  notes: string[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run (or not at the scale the target names). */
  met: boolean | null;
  /** Context for the targets, not a target of the issue: shown as "info", never judged. */
  informative?: boolean;
}

const f0 = (n: number) => Math.round(n).toLocaleString('en');
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
const cores = (ms: number | null, wallMs: number) => (ms === null ? '-' : `${f2(ms / wallMs)}`);

function modeLabel(mode: BenchMode): string {
  if (mode === 'quick') return 'QUICK (3 s steps; development numbers, not a measurement)';
  if (mode === 'long') return 'LONG (the 5-minute memory run)';
  return 'DEFAULT (10 s steps; the memory run is the 60 s version)';
}

/** The generator's, the server's and everything else's CPU during a step, in cores. */
function envCells(env: StepEnv, generatorCpuMs: number | null): string[] {
  const other =
    env.machineBusyMs === null || env.serverCpuMs === null || generatorCpuMs === null
      ? null
      : Math.max(0, env.machineBusyMs - env.serverCpuMs - generatorCpuMs);
  return [cores(generatorCpuMs, env.wallMs), cores(env.serverCpuMs, env.wallMs), cores(other, env.wallMs)];
}

function ratio(rows: readonly ThroughputRow[], tool: string, base: string): number | null {
  const t = rows.find((r) => r.tool === tool);
  const b = rows.find((r) => r.tool === base);
  return t && b && b.okPerS > 0 ? t.okPerS / b.okPerS : null;
}

/** Ours over autocannon, 2xx/s in the same run (the issue's target). */
export function throughputRatio(rows: readonly ThroughputRow[]): number | null {
  return ratio(rows, TOOL.ours, TOOL.autocannon);
}

/** Ours over the bare undici dispatch loop in the same run: what our own bookkeeping leaves of the ceiling. */
export function ceilingRatio(rows: readonly ThroughputRow[]): number | null {
  return ratio(rows, TOOL.ours, TOOL.undici);
}

const times = (n: number | null) => (n === null ? '-' : `${f2(n)}x`);

function sections(r: BenchResults): Section[] {
  const out: Section[] = [];
  const { plan } = r;
  if (r.throughput) {
    const rows = r.throughput;
    const ceiling = ceilingRatio(rows);
    out.push({
      title: `(a) Max throughput: ${plan.connections} keep-alive connections, ${plan.stepMs / 1000} s each`,
      headers: [
        'tool',
        'req/s (2xx)',
        'vs autocannon',
        'vs bare undici',
        'failed',
        'gen CPU ms/1k',
        'gen cores',
        'server cores',
        'other cores',
      ],
      rows: rows.map((t) => [
        t.tool,
        f0(t.okPerS),
        times(ratio(rows, t.tool, TOOL.autocannon)),
        times(ratio(rows, t.tool, TOOL.undici)),
        f0(t.failed),
        t.cpuPer1kMs === null ? '-' : f1(t.cpuPer1kMs),
        ...envCells(t.env, t.generatorCpuMs),
      ]),
      notes: [
        `ours: BuiltinLoadDriver at a target of ${f0(plan.saturationRate)} req/s with maxInFlight ${plan.connections}, every sample drained from samples() and consumed.`,
        `${TOOL.undici}: ${plan.connections} requests always in flight on one undici Pool (the options ours uses) through Pool.dispatch, each completion dispatching the next at once; the handler only counts 2xx and errors (no schedule, no timestamps, no samples). It is the ceiling of the library the generator must use (the issue: "open model on undici's lowest-overhead API (dispatch)"): what ours loses below it is the cost of our own bookkeeping (arrival schedule, in-flight cap, per-request timing, samples, fold); what the bare loop loses to autocannon is undici's own cost on this machine.`,
        `ours vs bare undici dispatch (same run): ${times(ceiling)}`,
        'A server at ~1.00 cores is the bottleneck (it is single-threaded): then every tool measures the server, not itself.',
        ...rows.map((t) => `${t.tool}: ${t.detail}`),
      ],
    });
  }
  if (r.rates) {
    out.push({
      title: `(b) Fixed target rates, reused connections, ${plan.stepMs / 1000} s each`,
      headers: [
        'target',
        'achieved',
        '% of target',
        '2xx/s',
        'dropped',
        'lag p99 ms',
        'loop delay p99/max ms',
        'CPU ms/1k',
        'gen cores',
        'server cores',
        'other cores',
      ],
      rows: r.rates.map((x) => [
        f0(x.targetRate),
        f0(x.achievedRate),
        pct(x.achievedRate / x.targetRate),
        f0(x.okPerS),
        f0(x.dropped),
        f2(x.scheduleLagP99Ms),
        `${f0(x.loopDelayP99Ms)} / ${f0(x.loopDelayMaxMs)}`,
        f2(x.cpuPer1kMs),
        ...envCells(x.env, x.generatorCpuMs),
      ]),
      notes: [
        "each rate first runs 2 s unmeasured in the same process (JIT and server warm, as a cell's baseline phase does); achieved = sent / scheduling window (the load self-check's definition); lag p99 from LoadSummary.scheduleLagP99Ms; CPU = process.cpuUsage() of the generator's own process; loop delay: perf_hooks.monitorEventLoopDelay in the generator (stalls of its event loop, whatever their cause).",
        `samples consumed by: ${r.rates[0]?.consumer ?? '-'}`,
      ],
    });
  }
  if (r.memory) {
    const m = r.memory;
    const len = m.durationMs / 1000;
    out.push({
      title: `(c) Generator RSS at ${f0(m.rate)} req/s: ${len} s run${len < 300 ? ` (the ${len} s version, NOT the 5-minute target run; use --long)` : ''}`,
      headers: [
        'RSS at baseline',
        'RSS at end',
        'growth MB',
        'trend MB/min',
        'heap baseline→end MB',
        'achieved',
        'lag p99 ms',
      ],
      rows: [
        [
          `${f1(m.rssBaselineMb)} MB @ ${f0(m.baselineAtMs / 1000)} s`,
          `${f1(m.rssEndMb)} MB @ ${f0(m.durationMs / 1000)} s`,
          f1(m.growthMb),
          f2(m.slopeMbPerMin),
          `${f1(m.heapBaselineMb)} → ${f1(m.heapEndMb)}`,
          pct(m.achievedRate / m.rate),
          f2(m.scheduleLagP99Ms),
        ],
      ],
      notes: [
        `${f0(m.samples)} samples drained from samples() into ${m.consumer === 'CellFold' ? "the harness' CellFold (100 ms buckets)" : 'a counter + HDR histogram (CellFold did not exist)'}.`,
        `RSS series (s: MB): ${m.series.map((p) => `${f0(p.atS)}: ${f1(p.rssMb)}`).join(', ')}`,
      ],
    });
  }
  if (r.fold) {
    const d = r.fold;
    out.push({
      title:
        d.method === 'CellFold'
          ? `(d) Folding ${f0(d.samples)} synthetic samples into CellFold`
          : `(d) PENDING: CellFold missing; analyzeCell on ${f0(d.samples)} stored samples instead`,
      headers: ['method', 'samples', 'time s', 'ns/sample', 'M samples/s', 'generation alone s', 'heap MB'],
      rows: [
        [
          d.method,
          f0(d.samples),
          f2(d.foldMs / 1000),
          f0((d.foldMs * 1e6) / d.samples),
          f2(d.samples / (d.foldMs / 1000) / 1e6),
          f2(d.generateMs / 1000),
          f0(d.heapUsedMb),
        ],
      ],
      notes: [
        d.method === 'CellFold'
          ? 'Samples are generated on the fly (fresh objects, none stored); time = fold pass minus a generation-only pass.'
          : `(d) is pending: ${d.note ?? ''}. Time of analyzeCell alone; building the array is "generation".`,
      ],
    });
  }
  return out;
}

/** The issue's targets against this run's numbers. */
export function targetChecks(r: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (r.throughput) {
    const vsAutocannon = throughputRatio(r.throughput);
    checks.push({
      target: 'max throughput >= 1.0x autocannon',
      measured: vsAutocannon === null ? 'not measured' : `${f2(vsAutocannon)}x`,
      met: vsAutocannon === null ? null : vsAutocannon >= 1,
    });
    const ceiling = ceilingRatio(r.throughput);
    checks.push({
      target: 'ours vs bare undici dispatch (same run)',
      measured: ceiling === null ? 'not measured' : `${f2(ceiling)}x`,
      met: null,
      informative: true,
    });
  }
  for (const x of r.rates ?? []) {
    const share = x.achievedRate / x.targetRate;
    if (x.targetRate <= 5000)
      checks.push({
        target: `achieved >= 99 % at ${f0(x.targetRate)} req/s`,
        measured: pct(share),
        met: share >= 0.99,
      });
    if (x.targetRate === 5000)
      checks.push({
        target: 'schedule-lag p99 < 5 ms at 5,000 req/s',
        measured: `${f2(x.scheduleLagP99Ms)} ms`,
        met: x.scheduleLagP99Ms < 5,
      });
  }
  if (r.memory) {
    const m = r.memory;
    const full = m.durationMs >= 300_000;
    checks.push({
      target: 'RSS growth 30 s → 5 min at 1k req/s < 20 MB',
      measured: full
        ? `${f1(m.growthMb)} MB`
        : `${f1(m.growthMb)} MB from ${f0(m.baselineAtMs / 1000)} s to ${f0(m.durationMs / 1000)} s; trend ${f2(m.slopeMbPerMin)} MB/min (the 5-min run: --long)`,
      met: full ? m.growthMb < 20 : null,
    });
  }
  return checks;
}

const mark = (c: TargetCheck) =>
  c.informative ? 'info' : c.met === null ? 'n/a' : c.met ? 'met' : 'NOT MET';

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** What the bench prints at the end. */
export function renderText(r: BenchResults): string {
  const parts = [`upgrade-harness bench: ${modeLabel(r.plan.mode)}`, ''];
  for (const s of sections(r)) {
    parts.push(s.title, textTable(s.headers, s.rows), ...s.notes.map((n) => `  ${n}`), '');
  }
  const checks = targetChecks(r);
  parts.push(
    'Targets',
    textTable(
      ['target', 'measured', 'status'],
      checks.map((c) => [c.target, c.measured, mark(c)]),
    ),
  );
  for (const e of r.errors) parts.push(`ERROR: ${e}`);
  return parts.join('\n');
}

/** bench/RESULTS.md. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const parts = [
    '# Benchmark results',
    '',
    `Mode: **${modeLabel(r.plan.mode)}**`,
    '',
    `- Command: \`${r.command}\``,
    `- Date: ${r.date}`,
    `- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${f1(m.memoryGb)} GB RAM, ${m.os}, Node ${m.node}`,
    `- Load average (1/5/15 min) at start: ${m.loadAvgStart.map(f2).join(' / ')}, at end: ${m.loadAvgEnd.map(f2).join(' / ')}`,
    `- Peers: autocannon ${r.peers.autocannon} (programmatic API, own process); wrk: ${r.peers.wrk ?? 'not installed'}. ${r.peers.wrkNote}`,
    '- Server: node:http in its own process on 127.0.0.1 (port 0), 200 with a 12-byte JSON body and `x-app-version`.',
    '- Each generator runs in its own child process (node + tsx). The "cores" columns are CPU-seconds per second of the load window: the generator (process.cpuUsage), the server and everything else on the machine (from /proc, read by the generator process at the start and end of its load; around the whole command for wrk). "other" above ~0.1 means the machine was not quiet.',
    '',
  ];
  for (const s of sections(r)) {
    parts.push(`## ${s.title}`, '', mdTable(s.headers, s.rows), '', ...s.notes.map((n) => `- ${n}`), '');
  }
  const checks = targetChecks(r);
  parts.push(
    '## Targets (issue 3)',
    '',
    mdTable(
      ['target', 'measured', 'status'],
      checks.map((c) => [c.target, c.measured, mark(c)]),
    ),
    '',
  );
  if (r.errors.length > 0) parts.push('## Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return parts.join('\n');
}
