import { describe, expect, it } from 'vitest';
import type { CellRecord, CellStatus } from '../../common/run-record.js';
import {
  buildRunRecord,
  erroredCell,
  inconclusiveCell,
  rolledBackCell,
} from '../../testing/run-record-builder.js';
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
      'axis.profile': '10k',
      'axis.from': '1.0.0',
      'axis.to': '1.1.0',
      'axis.db': '',
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
    expect(records[2]?.['axis.db']).toBe(DB);
    expect(records[0]).toMatchObject({ errored: '1', baseline_p99_ms_median: '', baseline_p99_ms_n: '0' });
  });
});

/** A cell with traffic and numbers, ended with `status` (a partial run keeps what it measured). */
function endedAs(status: CellStatus, p99: number, downtimeSeconds: number, reason?: string): CellRecord {
  const cell = benchCell({
    axes: { profile: '1k' },
    baseline: { rate: 100, p50: 4, p90: 8, p99 },
    upgrade: { rate: 100, p50: 4, p90: 8, p99 },
    downtimeSeconds,
  });
  cell.status = status;
  if (reason !== undefined) cell.reason = reason;
  return cell;
}

describe('cells left out of the numbers', () => {
  it('aggregates only passed and failed repetitions; the others count in the statuses', () => {
    const passed = endedAs('passed', 20, 0.5);
    // the generator could not hold the load: its latency includes the generator's own lag
    const inconclusive = benchCell({
      base: inconclusiveCell,
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 900, p90: 1500, p99: 2000 },
    });
    const table = buildCapacityTable([
      buildRunRecord({ runId: 'r1', cells: [passed] }),
      buildRunRecord({ runId: 'r2', cells: [inconclusive] }),
      buildRunRecord({
        runId: 'r3',
        cells: [
          endedAs('errored', 3000, 9, 'platform lost'),
          endedAs('interrupted', 3000, 9),
          endedAs('timedout', 3000, 9, 'upgrade timed out'),
          endedAs('failed', 40, 1.5, 'downtime'),
        ],
      }),
    ]);
    expect(table.rows).toHaveLength(1);
    const [row] = table.rows;
    expect(row?.cells).toBe(6);
    expect(row?.statuses).toEqual({
      passed: 1,
      failed: 1,
      errored: 1,
      inconclusive: 1,
      interrupted: 1,
      timedout: 1,
    });
    // the median of 20 and 40, not of 20, 40, 2000, 3000, …
    expect(row?.metrics.baselineP99Ms).toEqual({ n: 2, median: 30, min: 20, max: 40 });
    expect(row?.metrics.upgradeP99Ms).toEqual({ n: 2, median: 30, min: 20, max: 40 });
    expect(row?.metrics.downtimeSeconds).toEqual({ n: 2, median: 1, min: 0.5, max: 1.5 });
    expect(row?.metrics.baselineAchievedRate?.n).toBe(2);
    expect(table.leftOut.map((c) => [c.runId, c.status])).toEqual([
      ['r2', 'inconclusive'],
      ['r3', 'errored'],
      ['r3', 'interrupted'],
      ['r3', 'timedout'],
    ]);

    const md = capacityMarkdown(table).join('\n');
    expect(md).toContain(
      '| 1k | 1.0.0 → 1.1.0 | 6 | 1 passed, 1 failed, 1 errored, 1 inconclusive, 1 interrupted, 1 timedout |',
    );
    expect(md).toContain('| 30.0 (20.0–40.0, n=2) |');
    expect(md).toContain('### Left out of the numbers');
    expect(md).toContain(
      'Only cells that passed or failed are in the medians; 4 cells are counted in the status column only:',
    );
    expect(md).toContain(
      `- ${inconclusive.id} (run r2): inconclusive: its measurements are not trustworthy (e.g. the load generator could not hold the rate, so latency includes its lag) (load)`,
    );
    expect(md).toContain(
      '(run r3): errored: the harness or the platform failed; its traffic, if any, is partial (platform lost)',
    );
    expect(md).toContain(
      '(run r3): timed out: a phase did not finish in time; its traffic is partial (upgrade timed out)',
    );
  });

  it('takes no downtime from a cell that never reached the upgrade', () => {
    const early = benchCell({
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 20 },
      downtimeSeconds: 0,
    });
    early.status = 'failed';
    early.phases = early.phases.filter(
      (p) => !['upgrade', 'settle', 'rollback', 'verify-rollback'].includes(p.name),
    );
    const skipped = endedAs('failed', 20, 0);
    skipped.phases = skipped.phases.map((p) => (p.name === 'upgrade' ? { ...p, status: 'skipped' } : p));
    const upgraded = endedAs('passed', 20, 2);
    const [row] = buildCapacityTable([buildRunRecord({ cells: [early, skipped, upgraded] })]).rows;
    expect(row?.metrics.baselineP99Ms?.n).toBe(3);
    expect(row?.metrics.downtimeSeconds).toEqual({ n: 1, median: 2, min: 2, max: 2 });
    expect(row?.metrics.budgetConsumedPercent?.n).toBe(1);
  });

  it('says nothing of left-out cells when there are none', () => {
    const md = capacityMarkdown(buildCapacityTable([buildRunRecord({ cells: [endedAs('passed', 20, 0)] })]));
    expect(md.join('\n')).not.toContain('Left out');
  });
});

describe('capacity CSV safety', () => {
  it('defuses text a spreadsheet would run as a formula, and keeps negative numbers as they are', () => {
    const cell = endedAs('passed', 20, 0);
    cell.axes = {
      ...cell.axes,
      note: '=HYPERLINK("http://x","y")',
      tag: '@SUM(A1)',
      plus: '+1',
      minus: '-x',
    };
    const [row] = csvRecords(capacityCsv(buildCapacityTable([buildRunRecord({ cells: [cell] })])));
    expect(row).toMatchObject({
      'axis.note': `'=HYPERLINK("http://x","y")`,
      'axis.tag': "'@SUM(A1)",
      'axis.plus': "'+1",
      'axis.minus': "'-x",
      'axis.profile': '1k',
    });
    const negative = endedAs('passed', -5, 0);
    const [n] = csvRecords(capacityCsv(buildCapacityTable([buildRunRecord({ cells: [negative] })])));
    expect(n?.baseline_p99_ms_median).toBe('-5');
  });

  it('keeps an axis named like a fixed column apart from it', () => {
    const cell = endedAs('passed', 20, 0);
    cell.axes = { ...cell.axes, cells: 'many', runs: 'few', passed: 'yes' };
    const csv = capacityCsv(
      buildCapacityTable([buildRunRecord({ cells: [cell, endedAs('failed', 30, 0)] })]),
    );
    const [header = []] = parseCsv(csv);
    expect(new Set(header).size).toBe(header.length);
    const rows = csvRecords(csv);
    expect(rows.find((r) => r['axis.cells'] === 'many')).toMatchObject({
      'axis.runs': 'few',
      'axis.passed': 'yes',
      cells: '1',
      runs: '1',
      passed: '1',
    });
  });
});
