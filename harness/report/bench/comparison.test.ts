import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import { buildRunRecord, rolledBackCell } from '../../testing/run-record-builder.js';
import { benchCell } from './bench-test-cells.js';
import { buildComparison } from './comparison.js';
import { comparisonCsv, comparisonMarkdown } from './comparison-render.js';
import { csvRecords } from './csv-test-reader.js';

function withFailedVersionCheck(cell: CellRecord): CellRecord {
  cell.checks = cell.checks.map((k) => (k.category === 'version' ? { ...k, passed: false } : k));
  return cell;
}

function records() {
  const small = (p99: number, settleP99: number) =>
    benchCell({
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99 },
      settle: { rate: 100, failures: 300, p50: 4.2, p90: 8, p99: settleP99 },
    });
  const a = buildRunRecord({
    runId: 'run-a',
    cells: [
      small(10, 14),
      // Its settle was not answered by 1.1.0 alone: it measures N in the baseline, not N+1.
      withFailedVersionCheck(
        benchCell({
          axes: { profile: '1k', strategy: 'recreate' },
          baseline: { rate: 100, p50: 4, p90: 8, p99: 12 },
          settle: { rate: 100, p50: 50, p90: 80, p99: 100 },
        }),
      ),
      // The upgrade failed: 1.1.0 is measured where cells start from it.
      benchCell({
        base: rolledBackCell,
        axes: { profile: '10k' },
        baseline: { rate: 200, p50: 5, p90: 9, p99: 20 },
      }),
      benchCell({
        axes: { profile: '10k', from: '1.1.0', to: '1.2.0' },
        baseline: { rate: 200, p50: 5, p90: 9, p99: 21 },
        settle: { rate: 200, p50: 5, p90: 9, p99: 21 },
      }),
    ],
  });
  const b = buildRunRecord({ runId: 'run-b', cells: [small(14, 16)] });
  return [a, b];
}

describe('buildComparison', () => {
  const comparison = buildComparison(records());

  it('compares N in the baseline with N+1 in the settle phase of the same path, per size', () => {
    expect(comparison.contextKeys).toEqual(['profile', 'platform', 'method']);
    expect(comparison.rows.map((r) => [r.context.profile, r.from, r.to])).toEqual([
      ['1k', '1.0.0', '1.1.0'],
      ['10k', '1.0.0', '1.1.0'],
      ['10k', '1.1.0', '1.2.0'],
    ]);
    const row = comparison.rows[0];
    expect(row?.n).toMatchObject({ version: '1.0.0', measuredIn: 'baseline', cells: 3 });
    expect(row?.n?.metrics.p99Ms).toEqual({ n: 3, median: 12, min: 10, max: 14 });
    expect(row?.next).toMatchObject({ version: '1.1.0', measuredIn: 'settle', cells: 2 });
    expect(row?.next?.metrics.p99Ms).toEqual({ n: 2, median: 15, min: 14, max: 16 });
    expect(row?.next?.metrics.okRate?.median).toBe(90);
    expect(row?.changes.p99Ms).toBe(25);
    expect(row?.changes.okRate).toBe(-10);
    expect(row?.changes.achievedRate).toBe(0);
    expect(row?.changes.p50Ms).toBeCloseTo(5, 10);
    expect(row?.worse).toEqual(['okRate', 'p99Ms']);
  });

  it('falls back to the baseline of cells from N+1 when no upgrade to it passed', () => {
    const row = comparison.rows[1];
    expect(row?.next).toMatchObject({ version: '1.1.0', measuredIn: 'baseline', cells: 1 });
    expect(row?.changes.p99Ms).toBe(5);
    expect(row?.worse).toEqual([]);
  });

  it('applies the thresholds given', () => {
    const lenient = buildComparison(records(), {
      latencyThresholdPercent: 30,
      throughputThresholdPercent: 10,
    });
    expect(lenient.rows[0]?.worse).toEqual([]);
    const strict = buildComparison(records(), {
      latencyThresholdPercent: 4,
      throughputThresholdPercent: 9.9,
    });
    expect(strict.rows[0]?.worse).toEqual(['okRate', 'p50Ms', 'p99Ms']);
  });
});

describe('comparison Markdown and CSV', () => {
  const comparison = buildComparison(records());

  it('writes N → N+1 with the change and a mark where it got worse', () => {
    const md = comparisonMarkdown(comparison).join('\n');
    expect(md).toContain(
      '| size | N → N+1 | N measured in | N+1 measured in | ok req/s | req/s | p50 ms | p90 ms | p99 ms |',
    );
    expect(md).toContain(
      '| 1k | 1.0.0 → 1.1.0 | baseline, 3 cells | settle after 1.0.0 → 1.1.0, 2 cells | 100.0 → 90.0 (−10.0 % ⚠) | 100.0 → 100.0 (0.0 %) | 4.0 → 4.2 (+5.0 %) | 8.0 → 8.0 (0.0 %) | 12.0 → 15.0 (+25.0 % ⚠) |',
    );
    expect(md).toContain(
      '| 10k | 1.0.0 → 1.1.0 | baseline, 1 cell | baseline of cells from 1.1.0, 1 cell | 200.0 → 200.0 (0.0 %) |',
    );
    expect(md).toContain('latency up by more than 10 % or a rate down by more than 5 %');
  });

  it('writes one CSV row per comparison with medians, changes and the worse metrics', () => {
    const rows = csvRecords(comparisonCsv(comparison));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      profile: '1k',
      n_version: '1.0.0',
      n1_version: '1.1.0',
      n_measured_in: 'baseline',
      n_cells: '3',
      n1_measured_in: 'settle',
      n1_cells: '2',
      n_p99_ms: '12',
      n1_p99_ms: '15',
      p99_ms_change_pct: '25',
      ok_rps_change_pct: '-10',
      p50_ms_change_pct: '5',
      worse: 'ok_rps;p99_ms',
    });
    expect(rows[1]).toMatchObject({ n1_measured_in: 'baseline', p99_ms_change_pct: '5', worse: '' });
  });
});
