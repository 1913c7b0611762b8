import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import { buildRunRecord, inconclusiveCell, rolledBackCell } from '../../testing/run-record-builder.js';
import { benchCell } from './bench-test-cells.js';
import { buildComparison } from './comparison.js';
import { comparisonCsv, comparisonMarkdown } from './comparison-render.js';
import { csvRecords } from './csv-test-reader.js';
import { enoughSamples } from './version-sides.js';

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
      '| 1k | 1.0.0 → 1.1.0 | baseline, 3 cells | settle after 1.0.0 → 1.1.0 (fallback), 2 cells | 100.0 → 90.0 (−10.0 % ⚠) | 100.0 → 100.0 (0.0 %) | 4.0 → 4.2 (+5.0 %) | 8.0 → 8.0 (0.0 %) | 12.0 → 15.0 (+25.0 % ⚠) |',
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
      'axis.profile': '1k',
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
      few_samples: '',
    });
    expect(rows[1]).toMatchObject({ n1_measured_in: 'baseline', p99_ms_change_pct: '5', worse: '' });
  });
});

describe('which N+1 is compared', () => {
  /** 1.0.0 → 1.1.0 cells (settle: 1.1.0 just after the upgrade) and cells starting from 1.1.0. */
  function runs(withNextBaseline: boolean) {
    const cells = [
      benchCell({
        axes: { profile: '1k' },
        baseline: { rate: 100, p50: 4, p90: 8, p99: 10 },
        // just after the restart: cold
        settle: { rate: 100, p50: 9, p90: 30, p99: 60 },
      }),
    ];
    if (withNextBaseline) {
      cells.push(
        benchCell({
          axes: { profile: '1k', from: '1.1.0', to: '1.2.0' },
          baseline: { rate: 100, p50: 4, p90: 8, p99: 11 },
        }),
      );
    }
    return [buildRunRecord({ cells })];
  }

  it('prefers N+1 in the baseline of cells upgrading from it (a steady state) over the settle after N → N+1', () => {
    const [row] = buildComparison(runs(true)).rows;
    expect(row?.next).toMatchObject({ version: '1.1.0', measuredIn: 'baseline', cells: 1 });
    expect(row?.next?.metrics.p99Ms?.median).toBe(11);
    expect(row?.changes.p99Ms).toBeCloseTo(10, 10);
    expect(row?.worse).toEqual([]);
    expect(comparisonMarkdown(buildComparison(runs(true))).join('\n')).toContain(
      '| 1k | 1.0.0 → 1.1.0 | baseline, 1 cell | baseline of cells from 1.1.0, 1 cell |',
    );
  });

  it('falls back to the settle after N → N+1, marked as such', () => {
    const comparison = buildComparison(runs(false));
    expect(comparison.rows[0]?.next).toMatchObject({ measuredIn: 'settle' });
    expect(comparison.rows[0]?.worse).toEqual(['p50Ms', 'p90Ms', 'p99Ms']);
    const md = comparisonMarkdown(comparison).join('\n');
    expect(md).toContain('| settle after 1.0.0 → 1.1.0 (fallback), 1 cell |');
    expect(md).toContain('marked *(fallback)*: just after the upgrade');
  });
});

describe('cells left out of the comparison', () => {
  it('measures neither side in inconclusive, errored, interrupted or timed-out cells', () => {
    const passed = benchCell({
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 20 },
      settle: { rate: 100, p50: 4, p90: 8, p99: 21 },
    });
    const inconclusive = benchCell({
      base: inconclusiveCell,
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 900, p90: 1500, p99: 2000 },
      settle: { rate: 100, p50: 900, p90: 1500, p99: 2000 },
    });
    const timedout = benchCell({
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 3000 },
    });
    timedout.status = 'timedout';
    const comparison = buildComparison([buildRunRecord({ cells: [passed, inconclusive, timedout] })]);
    const [row] = comparison.rows;
    expect(row?.n).toMatchObject({ cells: 1 });
    expect(row?.n?.metrics.p99Ms?.median).toBe(20);
    expect(row?.next?.metrics.p99Ms?.median).toBe(21);
    expect(comparison.leftOut.map((c) => c.status)).toEqual(['inconclusive', 'timedout']);
    const md = comparisonMarkdown(comparison).join('\n');
    expect(md).toContain('### Left out of the numbers');
    expect(md).toContain(`- ${inconclusive.id} (run `);
  });
});

describe('percentile changes over few samples', () => {
  it('needs 10 samples beyond the percentile on each side: p99 1,000, p90 100, p50 20', () => {
    expect([enoughSamples(1000, 99), enoughSamples(999, 99)]).toEqual([true, false]);
    expect([enoughSamples(100, 90), enoughSamples(99, 90)]).toEqual([true, false]);
    expect([enoughSamples(20, 50), enoughSamples(19, 50)]).toEqual([true, false]);
    expect(enoughSamples(null, 50)).toBe(false);
  });

  function records(baselineCount: number, settleCount?: number) {
    return [
      buildRunRecord({
        cells: [
          benchCell({
            axes: { profile: '1k' },
            baseline: { rate: 100, p50: 4, p90: 8, p99: 10, count: baselineCount },
            settle: { rate: 100, p50: 8, p90: 16, p99: 20, ...(settleCount ? { count: settleCount } : {}) },
          }),
        ],
      }),
    ];
  }

  it('shows the change of a percentile without ⚠ and with a note when a side has too few', () => {
    const comparison = buildComparison(records(500));
    const [row] = comparison.rows;
    expect(row?.changes.p99Ms).toBe(100);
    // 500 responses: enough for p50 and p90, not for p99
    expect(row?.worse).toEqual(['p50Ms', 'p90Ms']);
    expect(row?.fewSamples).toEqual(['p99Ms']);
    const md = comparisonMarkdown(comparison).join('\n');
    expect(md).toContain(
      '| 4.0 → 8.0 (+100.0 % ⚠) | 8.0 → 16.0 (+100.0 % ⚠) | 10.0 → 20.0 (+100.0 %) (few samples) |',
    );
    expect(md).toContain('otherwise it reads (few samples) and is never marked');
    expect(csvRecords(comparisonCsv(comparison))[0]).toMatchObject({
      worse: 'p50_ms;p90_ms',
      few_samples: 'p99_ms',
    });

    // the other side counts too
    expect(buildComparison(records(5000, 50)).rows[0]?.fewSamples).toEqual(['p90Ms', 'p99Ms']);
    expect(buildComparison(records(5000, 1000)).rows[0]?.fewSamples).toEqual([]);
  });

  it('judges the median by the cell with the fewest samples behind it', () => {
    const many = records(5000)[0]!.cells[0]!;
    const few = records(200)[0]!.cells[0]!;
    const [row] = buildComparison([buildRunRecord({ cells: [many] }), buildRunRecord({ cells: [few] })]).rows;
    expect(row?.n?.latencySamples).toBe(200);
    expect(row?.fewSamples).toEqual(['p99Ms']);
  });
});

describe('comparison CSV safety', () => {
  it('defuses formula-like text and prefixes the context axes', () => {
    const cell = benchCell({
      axes: { profile: '=1+1', from: '-1.0', to: '@2.0', n_version: 'axis-named-like-a-column' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 10 },
      settle: { rate: 90, p50: 4, p90: 8, p99: 10 },
    });
    const [row] = csvRecords(comparisonCsv(buildComparison([buildRunRecord({ cells: [cell] })])));
    expect(row).toMatchObject({
      'axis.profile': "'=1+1",
      'axis.n_version': 'axis-named-like-a-column',
      n_version: "'-1.0",
      n1_version: "'@2.0",
      ok_rps_change_pct: '-10',
    });
  });
});
