/**
 * `npm run bench [-- --quick | --long | --only a,c | --help]`: our load generator against autocannon
 * (and wrk when installed) on the same local server in the same run; prints a table and writes
 * bench/RESULTS.md. Every child is bounded in time and stopped on the way out, Ctrl-C included.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchPlan, parseArgs, plannedMs, type StepName, USAGE } from './args.js';
import { clockTicks } from './proc-cpu.js';
import { startServer } from './processes.js';
import { type BenchResults, renderMarkdown, renderText } from './report.js';
import { fixedRates, foldTime, maxThroughput, memoryGrowth, type StepContext } from './steps.js';
import { wrkVersion } from './wrk.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function packageVersion(name: string): Promise<string> {
  try {
    const text = await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

async function main(argv: string[]): Promise<number> {
  let plan: BenchPlan | 'help';
  try {
    plan = parseArgs(argv, join(BENCH_DIR, 'RESULTS.md'));
  } catch (err: unknown) {
    process.stderr.write(`${errorText(err)}\n`);
    return 2;
  }
  if (plan === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const progress = (line: string) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const budgetMs = plannedMs(plan) * 2 + 300_000;
  const deadline = setTimeout(() => controller.abort(new Error(`bench exceeded ${budgetMs} ms`)), budgetMs);
  deadline.unref();

  const results: BenchResults = {
    plan,
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? '?',
      node: process.version,
      os: `${type()} ${release()}`,
      memoryGb: totalmem() / 1024 ** 3,
      loadAvgStart: loadavg(),
      loadAvgEnd: [],
    },
    peers: {
      autocannon: await packageVersion('autocannon'),
      wrk: null,
      wrkNote:
        'wrk is the Debian package, installed with `apt-get install -y wrk` where missing; run with one thread (one event loop, like autocannon and ours); skipped when not installed.',
    },
    errors: [],
  };
  const workDir = await mkdtemp(join(tmpdir(), 'upgrade-harness-bench-'));
  progress(
    `${plan.mode} run of (${plan.steps.join(', ')}), about ${Math.ceil(plannedMs(plan) / 60_000)} min; logs in ${workDir}`,
  );
  const ticks = await clockTicks();
  if (plan.wrk && plan.steps.includes('a')) results.peers.wrk = await wrkVersion();
  let aborted = false;
  const server = await startServer(join(workDir, 'server.log'), budgetMs);
  try {
    const ctx: StepContext = {
      plan,
      url: server.url,
      serverPid: server.pid,
      ticks,
      signal: controller.signal,
      logFile: join(workDir, 'children.log'),
      progress,
    };
    const steps: Array<[StepName, () => Promise<void>]> = [
      [
        'a',
        async () => {
          results.throughput = await maxThroughput(ctx, results.peers.wrk);
        },
      ],
      [
        'b',
        async () => {
          results.rates = await fixedRates(ctx);
        },
      ],
      [
        'c',
        async () => {
          results.memory = await memoryGrowth(ctx);
        },
      ],
      [
        'd',
        async () => {
          results.fold = await foldTime(ctx);
        },
      ],
    ];
    for (const [name, step] of steps) {
      if (!plan.steps.includes(name)) continue;
      if (controller.signal.aborted) break;
      try {
        await step();
      } catch (err: unknown) {
        results.errors.push(`(${name}) ${errorText(err)}`);
        progress(`(${name}) failed: ${errorText(err)}`);
      }
    }
  } finally {
    await server.stop();
    clearTimeout(deadline);
    aborted = controller.signal.aborted;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  results.machine.loadAvgEnd = loadavg();
  if (aborted) results.errors.push(`stopped early: ${errorText(controller.signal.reason)}`);

  process.stdout.write(`\n${renderText(results)}\n`);
  if (plan.out && !aborted) {
    await writeFile(plan.out, renderMarkdown(results));
    progress(`wrote ${plan.out}`);
  }
  if (results.errors.length === 0) await rm(workDir, { recursive: true, force: true });
  else progress(`child logs kept in ${workDir}`);
  if (aborted) return 130;
  return results.errors.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
