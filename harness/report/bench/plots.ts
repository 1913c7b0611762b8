import * as echarts from 'echarts';
import type { RunRecord } from '../../common/run-record.js';
import { cleanSvg } from '../charts/render-cell-charts.js';
import { axisKeys, groupBy, keyOf, type RunCell, runCells, SIZE_AXIS, varyingKeys } from './axes.js';
import type { CapacityTable } from './capacity.js';
import { isAggregated } from './cell-measures.js';
import { orderSizes, sortVersions } from './order.js';
import { fixed } from './stats.js';
import { type ServingMetricKey, servingSide } from './version-sides.js';

/** One publication plot: a self-contained SVG document (no script, no external reference). */
export interface BenchPlot {
  /** File name without extension, e.g. `latency-p99-by-size`. */
  name: string;
  title: string;
  svg: string;
}

interface BarSeries {
  name: string;
  /** One value per size (null where the series has none). */
  values: Array<number | null>;
}

const WIDTH = 900;
const HEIGHT = 480;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const UPGRADE_AXES = ['from', 'to', 'strategy', 'rollback'];
const SERVING_SOURCE =
  'each version in the baseline of cells from it, else the settle after upgrading to it; medians of passed/failed cells';

/**
 * The three plots of the bench report, as bar charts by size: p99 latency per version, ok
 * throughput per version (both as in SERVING_SOURCE), and downtime in the upgrade window per
 * upgrade path (median over repetitions, from the capacity table).
 */
export function benchPlots(records: readonly RunRecord[], capacity: CapacityTable): BenchPlot[] {
  const cells = runCells(records).filter((c) => isAggregated(c.cell));
  const sizes = orderSizes(cells.map((c) => c.cell.axes[SIZE_AXIS] ?? ''));
  return [
    barPlot({
      name: 'latency-p99-by-size',
      title: 'Latency p99 by size and version',
      subtitle: `ok responses, from the intended start; ${SERVING_SOURCE}`,
      yName: 'p99 ms',
      decimals: 1,
      sizes,
      series: servingSeries(cells, sizes, 'p99Ms'),
    }),
    barPlot({
      name: 'downtime-by-size',
      title: 'Upgrade downtime by size',
      subtitle:
        'downtime in the upgrade window (upgrade start → settle end), worst sampler; median over passed/failed repetitions',
      yName: 'downtime s',
      decimals: 2,
      sizes,
      series: downtimeSeries(capacity, sizes),
    }),
    barPlot({
      name: 'throughput-by-size',
      title: 'Throughput (ok req/s) by size and version',
      subtitle: `ok requests per second; ${SERVING_SOURCE}`,
      yName: 'ok req/s',
      decimals: 1,
      sizes,
      series: servingSeries(cells, sizes, 'okRate'),
    }),
  ];
}

/** One series per version (and serving context, when the runs have several), one value per size. */
function servingSeries(
  cells: readonly RunCell[],
  sizes: readonly string[],
  key: ServingMetricKey,
): BarSeries[] {
  const contextKeys = axisKeys(cells).filter((k) => k !== SIZE_AXIS && !UPGRADE_AXES.includes(k));
  const groups = groupBy(cells, contextKeys);
  const labelKeys = varyingKeys(
    groups.map((g) => (g[0] as RunCell).cell.axes),
    contextKeys,
  );
  const series: BarSeries[] = [];
  for (const group of groups) {
    const axes = (group[0] as RunCell).cell.axes;
    const context = labelKeys.map((k) => axes[k] ?? '').join(' · ');
    const versions = sortVersions(group.flatMap((c) => [c.cell.axes.from ?? '', c.cell.axes.to ?? '']));
    for (const version of versions.filter((v) => v !== '')) {
      const values = sizes.map((size) => {
        const here = group.filter((c) => (c.cell.axes[SIZE_AXIS] ?? '') === size);
        // the same rule as the comparison table (servingSide)
        const side = servingSide(here, version);
        return side?.metrics[key]?.median ?? null;
      });
      if (values.some((v) => v !== null))
        series.push({ name: context ? `${version} · ${context}` : version, values });
    }
  }
  return series;
}

/** One series per capacity row without its size (path, strategy, …), one value per size. */
function downtimeSeries(capacity: CapacityTable, sizes: readonly string[]): BarSeries[] {
  const keys = capacity.axisKeys.filter((k) => k !== SIZE_AXIS);
  const labelKeys = varyingKeys(
    capacity.rows.map((r) => r.axes),
    keys.filter((k) => k !== 'from' && k !== 'to'),
  );
  const series = new Map<string, BarSeries>();
  for (const row of capacity.rows) {
    const key = keyOf(row.axes, keys);
    const label = [`${row.axes.from} → ${row.axes.to}`, ...labelKeys.map((k) => row.axes[k] ?? '')].join(
      ' · ',
    );
    const entry = series.get(key) ?? { name: label, values: sizes.map(() => null) };
    series.set(key, entry);
    const at = sizes.indexOf(row.axes[SIZE_AXIS] ?? '');
    const median = row.metrics.downtimeSeconds?.median;
    if (at >= 0 && median !== undefined) entry.values[at] = median;
  }
  return [...series.values()].filter((s) => s.values.some((v) => v !== null));
}

interface BarPlotSpec {
  name: string;
  title: string;
  subtitle: string;
  yName: string;
  decimals: number;
  sizes: readonly string[];
  series: readonly BarSeries[];
}

/** A grouped bar chart rendered server-side to SVG; deterministic for the same input. */
export function barPlot(spec: BarPlotSpec): BenchPlot {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: FONT },
      title: {
        text: spec.title,
        subtext: spec.series.length === 0 ? 'no measurements in the runs given' : spec.subtitle,
        left: 'center',
        textStyle: { fontSize: 16 },
        subtextStyle: { fontSize: 11, color: '#555555' },
      },
      legend: { bottom: 8, left: 'center', itemWidth: 14, itemHeight: 10 },
      grid: { left: 70, right: 30, top: 105, bottom: 90 },
      xAxis: { type: 'category', data: [...spec.sizes], name: 'size', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: spec.yName, nameTextStyle: { align: 'left' } },
      series: spec.series.map((s) => ({
        type: 'bar',
        name: s.name,
        data: s.values.map((v) => (v === null ? '-' : v)),
        silent: true,
        emphasis: { disabled: true },
        label: {
          show: true,
          position: 'top',
          fontSize: 10,
          formatter: (p: { value: unknown }) =>
            typeof p.value === 'number' ? fixed(p.value, spec.decimals) : '',
        },
      })),
    });
    return {
      name: spec.name,
      title: spec.title,
      svg: cleanSvg(chart.renderToSVGString(), `bench-${spec.name}`, spec.title),
    };
  } finally {
    chart.dispose();
  }
}
