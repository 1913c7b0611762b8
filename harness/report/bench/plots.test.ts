import { describe, expect, it } from 'vitest';
import { buildRunRecord, inconclusiveCell } from '../../testing/run-record-builder.js';
import { svgToPng } from '../charts/svg-to-png.js';
import { benchCell } from './bench-test-cells.js';
import { buildCapacityTable } from './capacity.js';
import { barPlot, benchPlots } from './plots.js';

function record() {
  const cell = (profile: string, from: string, to: string, p99: number, downtimeSeconds: number) =>
    benchCell({
      axes: { profile, from, to },
      baseline: { rate: 100, p50: 4, p90: 8, p99 },
      settle: { rate: 100, p50: 4, p90: 8, p99: p99 + 1 },
      downtimeSeconds,
    });
  return buildRunRecord({
    cells: [
      cell('10k', '1.0.0', '1.1.0', 31.5, 2.5),
      cell('1k', '1.0.0', '1.1.0', 12.25, 0.75),
      cell('1k', '1.1.0', '1.2.0', 13.5, 0),
    ],
  });
}

describe('benchPlots', () => {
  const r = record();
  const plots = benchPlots([r], buildCapacityTable([r]));

  it('draws p99, downtime and throughput by size as bar charts', () => {
    expect(plots.map((p) => p.name)).toEqual([
      'latency-p99-by-size',
      'downtime-by-size',
      'throughput-by-size',
    ]);
    const [latency, downtime, throughput] = plots.map((p) => p.svg);
    for (const svg of [latency, downtime, throughput]) {
      expect(svg).toMatch(/^<svg [^>]*width="900" height="480"/);
      expect(svg).not.toMatch(/<script|href="http/);
      // x axis: sizes in numeric order
      expect(svg?.indexOf('>1k<')).toBeLessThan(svg?.indexOf('>10k<') ?? -1);
    }
    // series: every version; 1.2.0 only from the settle phase after upgrading to it
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) expect(latency).toContain(`>${version}<`);
    expect(latency).toContain('>31.5<');
    expect(latency).toContain('>14.5<');
    expect(downtime).toContain('>1.0.0 → 1.1.0<');
    expect(downtime).toContain('>2.50<');
    expect(throughput).toContain('>100.0<');
  });

  it('plots only cells that passed or failed, and each version by the comparison table’s rule', () => {
    const passed = benchCell({
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 20.5 },
      settle: { rate: 100, p50: 4, p90: 8, p99: 61.5 },
      downtimeSeconds: 0.25,
    });
    const inconclusive = benchCell({
      base: inconclusiveCell,
      axes: { profile: '1k' },
      baseline: { rate: 100, p50: 900, p90: 1500, p99: 1999.5 },
      downtimeSeconds: 7.75,
    });
    // 1.1.0 from its own baseline, not from the settle after 1.0.0 → 1.1.0 (61.5)
    const fromNext = benchCell({
      axes: { profile: '1k', from: '1.1.0', to: '1.2.0' },
      baseline: { rate: 100, p50: 4, p90: 8, p99: 22.5 },
    });
    const runs = [buildRunRecord({ cells: [passed, inconclusive, fromNext] })];
    const [latency, downtime] = benchPlots(runs, buildCapacityTable(runs)).map((p) => p.svg);
    expect(latency).toContain('>20.5<');
    expect(latency).toContain('>22.5<');
    expect(latency).not.toContain('>1999.5<');
    expect(latency).not.toContain('>61.5<');
    // the median of 20.5 and 1999.5 would be 1010.0
    expect(latency).not.toContain('>1010.0<');
    expect(downtime).toContain('>0.25<');
    expect(downtime).not.toContain('>4.00<');
  });

  it('renders the same bytes every time, whatever was rendered before', () => {
    const again = benchPlots([r], buildCapacityTable([r]));
    expect(again.map((p) => p.svg)).toEqual(plots.map((p) => p.svg));
  });

  it('says so when there is nothing to plot', () => {
    const empty = barPlot({
      name: 'x',
      title: 'X',
      subtitle: 's',
      yName: 'ms',
      decimals: 1,
      sizes: [],
      series: [],
    });
    expect(empty.svg).toContain('no measurements in the runs given');
  });

  it('converts a plot to a PNG of the width asked', () => {
    const png = svgToPng(plots[0]?.svg ?? '', 450);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(450);
    expect(png.readUInt32BE(20)).toBe(240);
  });
});
