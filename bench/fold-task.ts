import { analyzeCell } from '../harness/analyze/verdict.js';
import type { Sample } from '../harness/common/sample.js';
import { loadCellFold } from './fold-loader.js';
import { SyntheticCell } from './synthetic-samples.js';
import type { FoldResult, FoldTask } from './types.js';

const MB = 1024 * 1024;

/**
 * Generation alone, so its cost can be told apart from the fold's. Each sample is kept in a small
 * ring for a while, as the fold keeps some, so the optimizer cannot skip allocating it.
 */
function generateOnly(cell: SyntheticCell): { ms: number; checksum: number } {
  const ring: Sample[] = new Array(4096);
  const started = performance.now();
  let checksum = 0;
  for (let i = 0; i < cell.count; i++) {
    const s = cell.sample(i);
    ring[i & 4095] = s;
    checksum += s.endMs;
  }
  return { ms: performance.now() - started, checksum: checksum + ring.length };
}

/**
 * Times folding `task.samples` synthetic samples, generated on the fly, into the harness' CellFold.
 * Without harness/analyze/fold.ts: times analyzeCell on `task.fallbackSamples` stored samples.
 */
export async function runFold(task: FoldTask): Promise<FoldResult> {
  const fold = await loadCellFold();
  if (!fold.ok) return runAnalyzeCell(task.fallbackSamples, fold.reason);
  const cell = new SyntheticCell(task.samples);
  const generated = generateOnly(cell);
  const phases = cell.phases();
  const started = performance.now();
  const f = new fold.CellFold({ bucketMs: 100, timeoutMs: 10_000 });
  for (const p of phases) f.markPhase(p.name, p.startedAt);
  for (let i = 0; i < cell.count; i++) f.add(cell.sample(i));
  f.finish();
  const totalMs = performance.now() - started;
  return {
    kind: 'fold',
    method: 'CellFold',
    samples: cell.count,
    foldMs: Math.max(0, totalMs - generated.ms),
    generateMs: generated.ms,
    heapUsedMb: process.memoryUsage().heapUsed / MB,
  };
}

function runAnalyzeCell(count: number, reason: string): FoldResult {
  const cell = new SyntheticCell(count);
  const genStarted = performance.now();
  const samples: Sample[] = new Array(count);
  for (let i = 0; i < count; i++) samples[i] = cell.sample(i);
  const generateMs = performance.now() - genStarted;
  const started = performance.now();
  analyzeCell({
    samples,
    phases: cell.phases(),
    slo: { successRatio: 0.99, maxDowntimeSeconds: 1, minAchievedRateRatio: 0.99, maxScheduleLagP99Ms: 5 },
    from: '1.0.0',
    to: '1.1.0',
    upgrade: { ok: true },
    rollback: { attempted: false, ok: null, seconds: null },
    ledger: null,
    load: {
      startedAt: cell.t0,
      stoppedAt: cell.endMs,
      targetRate: 10_000,
      scheduled: count,
      sent: count,
      dropped: 0,
      scheduleLagP99Ms: 0.1,
      acknowledgedKeys: [],
    },
  });
  return {
    kind: 'fold',
    method: 'analyzeCell',
    samples: count,
    foldMs: performance.now() - started,
    generateMs,
    heapUsedMb: process.memoryUsage().heapUsed / MB,
    note: reason,
  };
}
