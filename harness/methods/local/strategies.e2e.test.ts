import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import { runMatrixFile } from '../../testing/run-matrix-file.js';

/** Blue-green and a no-surge rolling update of the reference app, for real. */
describe('local method strategies', () => {
  let out: string;
  let record: RunRecord;
  const cell = (strategy: string, to: string): CellRecord =>
    record.cells.find((c) => c.axes.strategy === strategy && c.axes.to === to)!;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'uh-strategies-'));
    ({ record } = await runMatrixFile('harness/testing/testdata/strategies-matrix.yaml', {
      outDir: out,
      runId: 'strategies',
    }));
  }, 300_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('blue-green switches with no failed request and a short mixed-version window', () => {
    const c = cell('blue-green', '1.1.0');
    expect(c.status, c.reason).toBe('passed');
    expect(c.requests.failed).toBe(0);
    // the green set was all ready before any of it took traffic
    const started = c.events.filter((e) => e.kind === 'replica-started' && e.message.includes('1.1.0'));
    expect(started).toHaveLength(3);
    for (const e of started) expect(e.message).toContain('as standby');
    expect(c.versions.mixedWindow?.seconds ?? 0).toBeLessThan(1);
  });

  it('a green set that never gets ready never takes traffic, and the rollback removes it', () => {
    const c = cell('blue-green', '2.0.1');
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^upgrade-failed/);
    expect(c.requests.failed).toBe(0);
    expect(c.versions.servedBy['2.0.1'] ?? 0).toBe(0);
    expect(c.rollback).toMatchObject({ attempted: true, succeeded: true });
  });

  it('rolling with maxSurge 0 / maxUnavailable 1 replaces replicas in place without failures', () => {
    const c = cell('rolling', '1.1.0');
    expect(c.status, c.reason).toBe('passed');
    expect(c.requests.failed).toBe(0);
    // never more than 3 replicas: each new one starts after an old one stopped
    const order = c.events
      .filter((e) => e.kind === 'replica-started' || e.kind === 'replica-stopped')
      .map((e) => e.kind);
    let running = 3;
    let peak = 0;
    for (const kind of order.slice(3)) {
      running += kind === 'replica-started' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(3);
  });

  it('rolling to a release that never gets ready fails, and the rollback restores full capacity', () => {
    const c = cell('rolling', '2.0.1');
    expect(c.status).toBe('failed');
    expect(c.rollback).toMatchObject({ attempted: true, succeeded: true });
    expect(c.matchedExpectation).toBe(true);
  });
});
