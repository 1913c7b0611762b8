import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import type { StepEnv } from './measure.js';
import {
  type BenchResults,
  ceilingRatio,
  renderMarkdown,
  renderText,
  targetChecks,
  throughputRatio,
} from './report.js';
import type { MemoryRun, RateRow, ThroughputRow } from './steps.js';
import { TOOL } from './types.js';

const env: StepEnv = { wallMs: 10_000, serverCpuMs: 9000, machineBusyMs: 19_000 };

function results(memoryDurationMs: number, growthMb: number): BenchResults {
  const plan = parseArgs([], 'R');
  if (plan === 'help') throw new Error('unexpected help');
  const tool = (name: string, okPerS: number): ThroughputRow => ({
    tool: name,
    okPerS,
    failed: 0,
    generatorCpuMs: 9000,
    cpuPer1kMs: 10,
    detail: '',
    env,
  });
  const rate = (targetRate: number, achievedRate: number, lag: number): RateRow => ({
    targetRate,
    achievedRate,
    okPerS: achievedRate,
    dropped: 0,
    scheduleLagP99Ms: lag,
    loopDelayP99Ms: 1,
    loopDelayMaxMs: 2,
    generatorCpuMs: 1000,
    cpuPer1kMs: 1,
    consumer: 'CellFold',
    env,
  });
  const memory: MemoryRun = {
    rate: 1000,
    durationMs: memoryDurationMs,
    baselineAtMs: 30_000,
    rssBaselineMb: 100,
    rssEndMb: 100 + growthMb,
    growthMb,
    slopeMbPerMin: 0.5,
    heapBaselineMb: 20,
    heapEndMb: 21,
    achievedRate: 1000,
    scheduleLagP99Ms: 1,
    samples: 1000,
    consumer: 'CellFold',
    series: [],
    env,
  };
  return {
    plan,
    command: 'npm run bench',
    date: '2026-01-01T00:00:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'x',
      node: 'v20',
      os: 'Linux',
      memoryGb: 4,
      loadAvgStart: [0, 0, 0],
      loadAvgEnd: [0, 0, 0],
    },
    peers: { autocannon: '8.0.0', wrk: null, wrkNote: '' },
    throughput: [tool(TOOL.autocannon, 20_000), tool(TOOL.ours, 25_000), tool(TOOL.undici, 40_000)],
    rates: [rate(1000, 995, 1), rate(5000, 4900, 6), rate(10_000, 9000, 50)],
    memory,
    errors: [],
  };
}

describe('targetChecks', () => {
  it('judges the issue targets; 10k req/s has none', () => {
    const checks = targetChecks(results(300_000, 25));
    expect(checks.map((c) => [c.target, c.met])).toEqual([
      ['max throughput >= 1.0x autocannon', true],
      ['ours vs bare undici dispatch (same run)', null],
      ['achieved >= 99 % at 1,000 req/s', true],
      ['achieved >= 99 % at 5,000 req/s', false],
      ['schedule-lag p99 < 5 ms at 5,000 req/s', false],
      ['RSS growth 30 s → 5 min at 1k req/s < 20 MB', false],
    ]);
    expect(throughputRatio(results(300_000, 0).throughput ?? [])).toBeCloseTo(1.25);
    expect(ceilingRatio(results(300_000, 0).throughput ?? [])).toBeCloseTo(0.625);
  });

  it('shows ours against the bare undici loop as information, never as a target', () => {
    const r = results(60_000, 1);
    const ceiling = targetChecks(r).find((c) => c.target.startsWith('ours vs bare undici'));
    expect(ceiling).toMatchObject({ measured: '0.63x', met: null, informative: true });
    const md = renderMarkdown(r);
    expect(md).toContain('| ours vs bare undici dispatch (same run) | 0.63x | info |');
    expect(md).toContain('| max throughput >= 1.0x autocannon | 1.25x | met |');
    // The (a) row of the ceiling: 40,000 req/s, 2.00x autocannon, 1.00x itself.
    expect(md).toContain(`| ${TOOL.undici} | 40,000 | 2.00x | 1.00x |`);
    expect(md).toContain('| ours (builtin) | 25,000 | 1.25x | 0.63x |');
    expect(md).toContain("open model on undici's lowest-overhead API (dispatch)");
    expect(renderText(r)).toContain('ours vs bare undici dispatch (same run): 0.63x');
  });

  it('leaves the ceiling columns empty when the bare loop did not run', () => {
    const r = results(60_000, 1);
    r.throughput = r.throughput?.filter((t) => t.tool !== TOOL.undici);
    expect(ceilingRatio(r.throughput ?? [])).toBeNull();
    expect(targetChecks(r).find((c) => c.informative)?.measured).toBe('not measured');
    expect(renderMarkdown(r)).toContain('| ours (builtin) | 25,000 | 1.25x | - |');
  });

  it('does not judge the memory target from a run shorter than 5 minutes', () => {
    const memory = targetChecks(results(60_000, 1)).at(-1);
    expect(memory?.met).toBeNull();
    expect(memory?.measured).toMatch(/from 30 s to 60 s/);
  });

  it('names the command and the mode in RESULTS.md and the text', () => {
    const r = results(60_000, 1);
    expect(renderMarkdown(r)).toContain('Command: `npm run bench`');
    expect(renderMarkdown(r)).toContain('the 60 s version');
    expect(renderText(r)).toContain('1.25x');
  });
});
