/**
 * Cells with known serving numbers for the bench report's tests: a run-record-builder cell whose
 * per-phase rates, failures and latency are replaced by the numbers given (the builder's own
 * latency is keyed by endpoint class and it writes no per-phase rates; real records key latency by
 * phase and carry load.byPhase, which is what the bench report reads).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellRecord } from '../../common/run-record.js';
import { buildRunRecord, type CellInit, passedCell } from '../../testing/run-record-builder.js';
import { serializeRunRecord } from '../json-reporter.js';

export interface ServingNumbers {
  /** Achieved req/s in the phase. */
  rate: number;
  /** Failed requests in the phase. */
  failures?: number;
  p50: number;
  p90: number;
  p99: number;
  /** Ok responses the percentiles were taken over (default: every request that did not fail). */
  count?: number;
}

export interface BenchCellInit extends CellInit {
  baseline?: ServingNumbers;
  upgrade?: ServingNumbers;
  settle?: ServingNumbers;
  downtimeSeconds?: number;
  rollback?: { seconds: number; downtimeSeconds: number };
  consumedRatio?: number;
  /** Start from another builder cell (default passedCell). */
  base?: (init: CellInit) => CellRecord;
}

export function benchCell(init: BenchCellInit): CellRecord {
  const { baseline, upgrade, settle, downtimeSeconds, rollback, consumedRatio, base, ...cellInit } = init;
  const cell = (base ?? passedCell)(cellInit);
  cell.latency = {};
  cell.load.byPhase = {};
  cell.errorBudget.byPhase = {};
  const numbers = { baseline, upgrade, settle };
  for (const [phase, n] of Object.entries(numbers)) {
    if (!n) continue;
    const record = cell.phases.find((p) => p.name === phase);
    if (!record) throw new Error(`cell ${cell.id} has no ${phase} phase`);
    const seconds = (record.endedAt - record.startedAt) / 1000;
    const requests = Math.round(n.rate * seconds);
    const failures = n.failures ?? 0;
    cell.load.byPhase[phase] = { seconds, requests, achievedRate: n.rate, judged: true };
    cell.errorBudget.byPhase[phase] = { requests, failures };
    cell.latency[phase] = {
      count: n.count ?? requests - failures,
      p50Ms: n.p50,
      p90Ms: n.p90,
      p99Ms: n.p99,
      maxMs: n.p99 * 2,
    };
  }
  if (downtimeSeconds !== undefined) cell.downtimeSeconds = downtimeSeconds;
  if (consumedRatio !== undefined) cell.errorBudget.consumedRatio = consumedRatio;
  if (rollback) cell.rollback = { attempted: true, succeeded: true, ...rollback };
  return cell;
}

/** Two runs of the same two cells (1k and 10k) written as run directories. */
export async function writeTwoRuns(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, p99] of [
    [1, 10],
    [2, 20],
  ] as const) {
    const cells = ['1k', '10k'].map((profile) =>
      benchCell({
        axes: { profile },
        baseline: { rate: 100, p50: 4, p90: 8, p99 },
        settle: { rate: 100, p50: 4, p90: 8, p99: p99 * 2 },
      }),
    );
    const runDir = join(root, `run-${i}`);
    await mkdir(runDir, { recursive: true });
    await writeFile(
      join(runDir, 'run.json'),
      serializeRunRecord(buildRunRecord({ runId: `run-${i}`, cells })),
    );
    dirs.push(runDir);
  }
  return dirs;
}
