import { describe, expect, it } from 'vitest';
import { parseArgs, plannedMs } from './args.js';

describe('parseArgs', () => {
  it('defaults to 10 s steps, the 60 s memory run and bench/RESULTS.md', () => {
    const plan = parseArgs([], '/x/RESULTS.md');
    if (plan === 'help') throw new Error('unexpected help');
    expect(plan.mode).toBe('default');
    expect(plan.steps).toEqual(['a', 'b', 'c', 'd']);
    expect(plan.stepMs).toBe(10_000);
    expect(plan.memory).toMatchObject({ durationMs: 60_000, baselineAtMs: 30_000 });
    expect(plan.fold.samples).toBe(10_000_000);
    expect(plan.out).toBe('/x/RESULTS.md');
  });

  it('--long runs the memory part for 5 minutes against a 30 s baseline, --quick writes nothing', () => {
    const long = parseArgs(['--long'], 'R');
    const quick = parseArgs(['--quick'], 'R');
    if (long === 'help' || quick === 'help') throw new Error('unexpected help');
    expect(long.memory).toMatchObject({ durationMs: 300_000, baselineAtMs: 30_000 });
    expect(long.stepMs).toBe(10_000);
    expect(quick.stepMs).toBe(3000);
    expect(quick.out).toBeNull();
  });

  it('--only keeps the canonical order; bad values are errors', () => {
    const plan = parseArgs(['--only', 'd,a', '--no-wrk', '--connections', '20'], 'R');
    if (plan === 'help') throw new Error('unexpected help');
    expect(plan.steps).toEqual(['a', 'd']);
    expect(plan.wrk).toBe(false);
    expect(plan.connections).toBe(20);
    expect(() => parseArgs(['--only', 'e'], 'R')).toThrow(/--only/);
    expect(() => parseArgs(['--connections', '0'], 'R')).toThrow(/--connections/);
    expect(() => parseArgs(['--fast'], 'R')).toThrow(/unknown option --fast/);
    expect(parseArgs(['--help'], 'R')).toBe('help');
  });

  it('plans the long run as longer than the default one', () => {
    const long = parseArgs(['--long'], 'R');
    const def = parseArgs([], 'R');
    if (long === 'help' || def === 'help') throw new Error('unexpected help');
    expect(plannedMs(long) - plannedMs(def)).toBe(240_000);
  });
});
