import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import { runMatrixFile } from '../../testing/run-matrix-file.js';

/**
 * The shipped database scenario, run for real: PostgreSQL 17.9 → 17.10 by binary swap and back,
 * under SQL load on reused and new connections plus a committed-key writer.
 */
describe('postgres-minor matrix (PostgreSQL as the product, SQL traffic)', () => {
  let out: string;
  let record: RunRecord;
  let cell: CellRecord;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'uh-pg-minor-'));
    ({ record } = await runMatrixFile('matrices/postgres-minor.yaml', { outDir: out, runId: 'pg' }));
    cell = record.cells[0] as CellRecord;
  }, 300_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('upgrades, serves 17.10 after the upgrade and 17.9 after the rollback, and passes', () => {
    expect(record.cells).toHaveLength(1);
    expect(cell.status, `${cell.reason ?? ''} ${JSON.stringify(cell.checks)}`).toBe('passed');
    expect(record.exitCode).toBe(0);
    expect(cell.versions.servedBy['17.9']).toBeGreaterThan(100);
    expect(cell.versions.servedBy['17.10']).toBeGreaterThan(100);
    expect(cell.rollback).toMatchObject({ attempted: true, succeeded: true });
  });

  it('measures the restart as downtime on every sampler, and the cell as its worst sampler within the window', () => {
    expect(cell.downtimeSeconds).toBeGreaterThan(0.02);
    expect(cell.downtimeSeconds).toBeLessThanOrEqual(2);
    const upgrade = cell.phases.find((p) => p.name === 'upgrade');
    const settle = cell.phases.find((p) => p.name === 'settle');
    if (!upgrade || !settle) throw new Error('no upgrade or settle phase');
    const samplers = [
      'read-balance:reused',
      'read-balance:new',
      'transfer:reused',
      'transfer:new',
      'writer:reused',
    ];
    const within = (sampler: string) =>
      cell.downtime
        .filter((i) => i.sampler === sampler)
        .reduce(
          (sum, i) =>
            sum +
            Math.max(0, Math.min(i.endedAt, settle.endedAt) - Math.max(i.startedAt, upgrade.startedAt)) /
              1000,
          0,
        );
    for (const sampler of samplers) {
      // Each sampler's outage overlaps the upgrade phase (the fast shutdown and the start with the new binaries).
      const overlapping = cell.downtime.filter(
        (i) => i.sampler === sampler && i.endedAt > upgrade.startedAt && i.startedAt < upgrade.endedAt,
      );
      expect(overlapping.length, sampler).toBeGreaterThan(0);
    }
    // The cell's downtime is its worst sampler's downtime within the window (clipped to it).
    expect(cell.downtimeSeconds).toBeCloseTo(Math.max(...samplers.map(within)), 6);
    expect(cell.downtimeSeconds).toBeLessThan((settle.endedAt - upgrade.startedAt) / 1000);
    const failures = cell.errorBudget.failureClasses;
    expect((failures.refused ?? 0) + (failures.reset ?? 0)).toBeGreaterThan(0);
  });

  it('loses no committed key, checked after settle, after the rollback and at the end', () => {
    expect(cell.dataIntegrity.acknowledged).toBeGreaterThan(50);
    expect(cell.dataIntegrity).toMatchObject({ lost: 0, unverified: 0 });
    expect(cell.dataIntegrity.verified).toBe(cell.dataIntegrity.acknowledged);
  });

  it('reports the load self-check per phase and the generator process', () => {
    expect(cell.load.ok).toBe(true);
    expect(cell.load.targetRate).toBe(120);
    expect(cell.load.byPhase?.upgrade?.requests).toBeGreaterThan(0);
    expect(cell.load.process?.cpuCores).toBeGreaterThan(0);
  });

  it('never writes the database password into a report, log or diagnostic', async () => {
    const files = (await readdir(join(out, 'pg'), { recursive: true, withFileTypes: true }))
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name));
    expect(files.some((f) => f.endsWith('postgres.json'))).toBe(true);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/postgres(?:ql)?:\/\/[^:/\s]+:(?!\*\*\*@)[^@\s]+@/);
    }
  });
});
