import type { Outcome } from '../../common/sample.js';
import type { ChartData, PhaseBand } from './chart-data.js';

/**
 * echarts options for the three timeline charts. Everything that makes them readable without
 * interaction lives here: phase bands with labels, downtime in red, a legend, axis names with units.
 * No animation, no tooltip, no font loading: the output is a static picture.
 */

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 320;

const FONT_FAMILY = 'sans-serif';

export const OUTCOME_COLORS: Record<Outcome, string> = {
  ok: '#3ba272',
  http_5xx: '#ee6666',
  http_4xx: '#fc8452',
  timeout: '#9a60b4',
  refused: '#2f4554',
  reset: '#8b5a2b',
  dns: '#73c0de',
  other: '#7f7f7f',
};

const VERSION_COLORS = ['#5470c6', '#fac858', '#91cc75', '#73c0de', '#ea7ccc', '#9a60b4', '#fc8452'];
const UNKNOWN_VERSION_COLOR = '#bbbbbb';

const PHASE_COLORS: Record<string, string> = {
  baseline: '#eef1f5',
  upgrade: '#dce8fb',
  settle: '#e2f3e5',
  rollback: '#fdebd3',
  'verify-rollback': '#faf2cf',
};
const OTHER_PHASE_COLOR = '#f3f3f3';
const DOWNTIME_COLOR = 'rgba(220,38,38,0.22)';
const DOWNTIME_LEGEND_COLOR = '#dc2626';
/**
 * Under the subtitle of a chart with downtime: the red band is not the cell's downtime figure, and
 * a reader comparing the two must know why they differ.
 */
export const DOWNTIME_NOTE =
  "red: downtime seen by any sampler in any phase, rollback included (the cell's downtime figure is the worst sampler from upgrade start to settle end)";
/** Phase bands narrower than this share of the axis go unlabelled (the label would not fit). */
const MIN_LABELLED_BAND_SHARE = 0.05;

type Option = Record<string, unknown>;

export function rateOption(data: ChartData, subtitle: string): Option {
  const series = data.rateByOutcome.map(({ outcome, values }) => ({
    ...stepSeries(outcome, OUTCOME_COLORS[outcome], stepPoints(data, values)),
    stack: 'rate',
    lineStyle: { width: 0 },
    areaStyle: { opacity: 0.6 },
  }));
  return base(data, {
    title: 'Request rate by outcome',
    subtitle,
    yName: 'req/s',
    yAxis: { type: 'value', min: 0 },
    series,
  });
}

export function latencyOption(data: ChartData, subtitle: string): Option {
  const positive = (v: number | null) => (v !== null && v > 0 ? v : null);
  const series = [
    stepSeries('p50', '#5470c6', stepPoints(data, data.p50Ms.map(positive))),
    stepSeries('p99', '#ee6666', stepPoints(data, data.p99Ms.map(positive))),
  ];
  const merged =
    data.stepMs > data.bucketMs ? `, worst ${data.bucketMs} ms bucket per ${data.stepMs} ms` : '';
  return base(data, {
    title: 'Latency of ok responses',
    subtitle: `${subtitle} (from intended start${merged})`,
    yName: 'ms (log)',
    yAxis: { type: 'log', logBase: 10 },
    series,
  });
}

export function versionShareOption(data: ChartData, subtitle: string): Option {
  let palette = 0;
  const series = data.versionShare.map(({ version, values }) => ({
    ...stepSeries(
      version,
      version === 'unknown'
        ? UNKNOWN_VERSION_COLOR
        : (VERSION_COLORS[palette++ % VERSION_COLORS.length] ?? ''),
      stepPoints(data, values),
    ),
    stack: 'share',
    lineStyle: { width: 0 },
    areaStyle: { opacity: 0.7 },
  }));
  return base(data, {
    title: 'Share of ok responses per serving version',
    subtitle,
    yName: '%',
    yAxis: { type: 'value', min: 0, max: 100 },
    series,
  });
}

interface BaseInit {
  title: string;
  subtitle: string;
  yName: string;
  yAxis: Option;
  series: Option[];
}

function base(data: ChartData, init: BaseInit): Option {
  const hasDowntime = data.downtime.length > 0;
  const names = [...init.series.map((s) => String(s.name)), ...(hasDowntime ? ['downtime'] : [])];
  const legend = names.map((name) => ({ name, icon: 'rect' }));
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY },
    title: {
      text: init.title,
      subtext: hasDowntime ? `${init.subtitle}\n${DOWNTIME_NOTE}` : init.subtitle,
      left: 12,
      top: 6,
      textStyle: { fontSize: 15, fontFamily: FONT_FAMILY },
      subtextStyle: { fontSize: 11, fontFamily: FONT_FAMILY, color: '#666' },
    },
    legend: {
      data: legend,
      right: 12,
      top: 8,
      itemGap: 16,
      itemWidth: 14,
      itemHeight: 10,
      textStyle: { fontSize: 11 },
    },
    grid: { left: 64, right: 24, top: hasDowntime ? 90 : 80, bottom: 46 },
    xAxis: {
      type: 'value',
      min: data.fromSeconds,
      max: data.toSeconds,
      name: 'seconds since cell start',
      nameLocation: 'middle',
      nameGap: 26,
      splitLine: { show: false },
      axisLabel: { hideOverlap: true },
    },
    yAxis: { name: init.yName, nameGap: 10, nameTextStyle: { align: 'right' }, ...init.yAxis },
    series: [phaseSeries(data), ...(hasDowntime ? [downtimeSeries(data)] : []), ...init.series],
  };
}

function stepSeries(name: string, color: string, points: Array<[number, number | null]>): Option {
  return {
    name,
    type: 'line',
    step: 'end',
    data: points,
    color,
    symbol: 'none',
    lineStyle: { width: 1.2, color },
    itemStyle: { color },
    z: 3,
  };
}

/** An empty series carrying the phase bands, labelled with the phase name. */
function phaseSeries(data: ChartData): Option {
  const span = data.toSeconds - data.fromSeconds;
  return {
    name: 'phases',
    type: 'line',
    data: [],
    z: 1,
    markArea: {
      silent: true,
      data: data.phases.map((p) => [
        {
          name: phaseLabel(p),
          xAxis: p.fromSeconds,
          itemStyle: { color: PHASE_COLORS[p.name] ?? OTHER_PHASE_COLOR },
          label: {
            show: (p.toSeconds - p.fromSeconds) / span >= MIN_LABELLED_BAND_SHARE,
            position: 'insideTop',
            color: p.status === 'passed' ? '#555' : '#b3261e',
            fontSize: 11,
            textBorderWidth: 0,
          },
        },
        { xAxis: p.toSeconds },
      ]),
    },
  };
}

function phaseLabel(phase: PhaseBand): string {
  return phase.status === 'passed' ? phase.name : `${phase.name} (${phase.status})`;
}

/** An empty series named `downtime` (so the legend explains the red) carrying the intervals. */
function downtimeSeries(data: ChartData): Option {
  return {
    name: 'downtime',
    type: 'line',
    data: [],
    color: DOWNTIME_LEGEND_COLOR,
    itemStyle: { color: DOWNTIME_LEGEND_COLOR },
    z: 2,
    markArea: {
      silent: true,
      itemStyle: { color: DOWNTIME_COLOR },
      label: { show: false },
      data: data.downtime.map((d) => [{ xAxis: d.fromSeconds }, { xAxis: d.toSeconds }]),
    },
  };
}

/** Points at each step's start, plus the last value again at the data's end so the last step is drawn whole. */
function stepPoints<T>(data: ChartData, y: T[]): Array<[number, T]> {
  const points = data.x.map((xi, i): [number, T] => [xi, y[i] as T]);
  const last = y.at(-1);
  if (last !== undefined) points.push([data.dataEndSeconds, last]);
  return points;
}
