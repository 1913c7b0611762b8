import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTwoRuns } from '../report/bench/bench-test-cells.js';
import { registerBenchReportCommand } from './bench-report-command.js';
import { exitCodeForError } from './exit-codes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-report-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `upgrade-harness <argv>` with only this command registered; returns stdout lines or the error. */
async function run(argv: string[]): Promise<{ lines: string[]; error?: unknown }> {
  const lines: string[] = [];
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerBenchReportCommand(program, { out: (line) => lines.push(line) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { lines };
  } catch (error: unknown) {
    return { lines, error };
  }
}

describe('upgrade-harness bench-report', () => {
  it('writes the report of two runs into --out and prints the files', async () => {
    const runs = await writeTwoRuns(dir);
    const out = join(dir, 'published');
    const { lines, error } = await run([
      'bench-report',
      ...runs,
      '--out',
      out,
      '--latency-threshold',
      '150',
      '--no-png',
    ]);
    expect(error).toBeUndefined();
    expect(lines[0]).toBe(`bench report of 2 run(s) in ${out}:`);
    expect(lines.slice(1)).toEqual(
      [
        'capacity.md',
        'capacity.csv',
        'comparison.md',
        'comparison.csv',
        'latency-p99-by-size.svg',
        'downtime-by-size.svg',
        'throughput-by-size.svg',
      ].map((f) => `  ${join(out, f)}`),
    );
    expect((await readdir(out)).filter((f) => f.endsWith('.png'))).toEqual([]);
    const comparison = await readFile(join(out, 'comparison.md'), 'utf8');
    // p99 doubled (+100 %), under the 150 % threshold given: no mark
    expect(comparison).toContain('15.0 → 30.0 (+100.0 %) |');
    expect(comparison).toContain('latency up by more than 150 %');
  });

  it('is a usage error (exit 2) naming the file when a run has no run.json', async () => {
    const missing = join(dir, 'nope');
    const { error } = await run(['bench-report', missing]);
    expect(exitCodeForError(error)).toBe(2);
    expect((error as Error).message).toBe(`no run record at ${missing}`);
    const empty = await run(['bench-report', dir]);
    expect(exitCodeForError(empty.error)).toBe(2);
    expect((empty.error as Error).message).toBe(`no run record at ${join(dir, 'run.json')}`);
  });

  it('is a usage error when a threshold is not a percentage', async () => {
    const { error } = await run(['bench-report', dir, '--latency-threshold', 'ten']);
    expect((error as { code?: string }).code).toBe('commander.invalidArgument');
  });

  it('needs at least one run directory', async () => {
    const { error } = await run(['bench-report']);
    expect((error as { code?: string }).code).toBe('commander.missingArgument');
  });
});
