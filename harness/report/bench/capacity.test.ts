import { describe, expect, it } from 'vitest';
import { buildRunRecord, erroredCell, rolledBackCell } from '../../testing/run-record-builder.js';
import { benchCell } from './bench-test-cells.js';
import { buildCapacityTable } from './capacity.js';
import { capacityCsv, capacityMarkdown } from './capacity-render.js';
import { csvRecords, parseCsv } from './csv-test-reader.js';

const DB = 'pg "15", fast';

function runs() {
  const rep = (p99: number, downtimeSeconds: number, consumedRatio: number) =>
    benchCell({
      axes: { profile: '10k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99 },
      upgrade: { rate: 99, failures: 594, p50: 6, p90: 20, p99: 40 },
      settle: { rate: 100, p50: 4.2, p90: 9, p99: 15 },
      downtimeSeconds,
      consumedRatio,
    });
  const a = buildRunRecord({
    runId: 'run-a',
    cells: [
      rep(10, 0.5, 0.25),
      benchCell({ axes: { profile: '1k' }, baseline: { rate: 10, p50: 3, p90: 7, p99: 20 } }),
      erroredCell({ axes: { profile: '1k', strategy: 'recreate' } }),
    ],
  });
  const b = buildRunRecord({
    runId: 'run-b',
    cells: [
      rep(14, 1.5, 1e9),
      benchCell({
        axes: { profile: '10k', strategy: 'recreate', db: DB },
        baseline: { rate: 100, p50: 5, p90: 9, p99: 11 },
        rollback: { seconds: 12.5, downtimeSeconds: 2.25 },
      }),
      rolledBackCell({ axes: { profile: '10k', rollback: 'on-failure' } }),
    ],
  });
  return [a, b];
}

describe('buildCapacityTable', () => {
  const table = buildCapacityTable(runs());

  it('makes one row per distinct cell, sizes in numeric order', () => {
    expect(table.axisKeys).toEqual([
      'profile',
      'from',
      'to',
      'strategy',
      'platform',
      'method',
      'rollback',
      'db',
    ]);
    expect(
      table.rows.map((r) => [r.axes.profile, r.axes.strategy, r.axes.rollback, r.axes.db, r.cells]),
    ).toEqual([
      ['1k', 'recreate', 'never', '', 1],
      ['1k', 'rolling', 'never', '', 1],
      ['10k', 'recreate', 'never', DB, 1],
      ['10k', 'rolling', 'never', '', 2],
      ['10k', 'rolling', 'on-failure', '', 1],
    ]);
  });

  it('aggregates repetitions across runs: median, min, max, n', () => {
    const row = table.rows[3];
    expect(row?.runIds).toEqual(['run-a', 'run-b']);
    expect(row?.statuses.passed).toBe(2);
    expect(row?.metrics.baselineP99Ms).toEqual({ n: 2, median: 12, min: 10, max: 14 });
    expect(row?.metrics.downtimeSeconds).toEqual({ n: 2, median: 1, min: 0.5, max: 1.5 });
    expect(row?.metrics.budgetConsumedPercent).toEqual({ n: 2, median: Infinity, min: 25, max: Infinity });
    expect(row?.metrics.upgradeSeconds).toEqual({ n: 2, median: 60, min: 60, max: 60 });
    // 99 req/s × 60 s = 5940 requests, 594 failed: 5346 ok in 60 s.
    expect(row?.metrics.upgradeOkRate?.median).toBeCloseTo(89.1, 10);
    expect(row?.metrics.upgradeAchievedRate?.median).toBe(99);
    expect(row?.metrics.rollbackSeconds).toBeNull();
  });

  it('counts cells that measured nothing in the statuses only', () => {
    const errored = table.rows[0];
    expect(errored?.statuses).toMatchObject({ errored: 1, passed: 0 });
    expect(Object.values(errored?.metrics ?? {}).every((m) => m === null)).toBe(true);
  });

  it('reports no upgrade duration for a failed upgrade, and the rollback time', () => {
    const rolledBack = table.rows[4];
    expect(rolledBack?.metrics.upgradeSeconds).toBeNull();
    expect(rolledBack?.metrics.rollbackSeconds?.median).toBe(12.34);
    expect(table.rows[2]?.metrics.rollbackDowntimeSeconds?.median).toBe(2.25);
  });
});

describe('capacity Markdown and CSV', () => {
  const table = buildCapacityTable(runs());

  it('writes one table per section with the varying axes as columns', () => {
    const md = capacityMarkdown(table).join('\n');
    expect(md).toContain('Same in every row: platform local · method local');
    expect(md).toContain(
      '| size | from → to | strategy | rollback | db | cells | status | target req/s | baseline req/s | baseline ok req/s | upgrade req/s | upgrade ok req/s |',
    );
    expect(md).toContain(
      '| 10k | 1.0.0 → 1.1.0 | rolling | never | — | 2 | 2 passed | 100.0 | 100.0 | 100.0 | 99.0 | 89.1 |',
    );
    expect(md).toContain('| 1k | 1.0.0 → 1.1.0 | recreate | never | — | 1 | 1 errored | — | — | — | — | — |');
    expect(md).toContain('| 10k | 1.0.0 → 1.1.0 | recreate | never | pg "15", fast | 1 | 1 passed |');
    expect(md).toContain(
      '| 10k | 1.0.0 → 1.1.0 | rolling | never | — | 60.00 | 1.000 (0.500–1.500) | — | — | ∞ (25.0–∞) |',
    );
    expect(md).toContain('| 1k | 1.0.0 → 1.1.0 | rolling | never | — | 3.0 | 7.0 | 20.0 | — | — | — |');
  });

  it('writes a CSV with one header row, plain numbers and RFC 4180 quoting', () => {
    const csv = capacityCsv(table);
    expect(csv).toContain(',"pg ""15"", fast",');
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    const records = csvRecords(csv);
    const rolling10k = records[3];
    expect(rolling10k).toMatchObject({
      profile: '10k',
      from: '1.0.0',
      to: '1.1.0',
      db: '',
      cells: '2',
      runs: '2',
      passed: '2',
      baseline_p99_ms_median: '12',
      baseline_p99_ms_min: '10',
      baseline_p99_ms_max: '14',
      baseline_p99_ms_n: '2',
      upgrade_ok_rps_median: '89.1',
      downtime_s_median: '1',
      error_budget_used_pct_median: 'inf',
      error_budget_used_pct_min: '25',
      rollback_s_median: '',
      rollback_s_n: '0',
    });
    expect(records[2]?.db).toBe(DB);
    expect(records[0]).toMatchObject({ errored: '1', baseline_p99_ms_median: '', baseline_p99_ms_n: '0' });
  });
});
