import { createHash } from 'node:crypto';
import * as echarts from 'echarts';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import type { CellChart, CellChartRenderer } from '../reporter.js';
import { chartData } from './chart-data.js';
import { CHART_HEIGHT, CHART_WIDTH, latencyOption, rateOption, versionShareOption } from './chart-options.js';
import { assertSelfContained } from './svg-safety.js';

/**
 * A cell's timeline charts as SVG documents, rendered server-side by echarts: request rate by
 * outcome, latency p50/p99 and the share of each serving version, each with the cell's phases as
 * bands and its downtime in red. Pure and deterministic: the same cell gives the same bytes, and
 * the ids inside each SVG are unique to the cell and chart, so many can be inlined in one page.
 */
export const renderCellCharts: CellChartRenderer = (cell: CellRecord, _record: RunRecord): CellChart[] => {
  const data = chartData(cell);
  if (!data) return [];
  const subtitle = cell.id;
  const charts = [
    { name: 'rate-by-outcome', title: 'Request rate by outcome', option: rateOption(data, subtitle) },
    { name: 'latency', title: 'Latency p50 / p99', option: latencyOption(data, subtitle) },
    {
      name: 'version-share',
      title: 'Share of responses per version',
      option: versionShareOption(data, subtitle),
    },
  ];
  return charts.map(({ name, title, option }) => ({
    name,
    title,
    svg: cleanSvg(renderSvg(option), idPrefix(cell.id, name), title),
  }));
};

function renderSvg(option: Record<string, unknown>): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function idPrefix(cellId: string, chartName: string): string {
  return `uh${createHash('sha256').update(`${cellId}\n${chartName}`).digest('hex').slice(0, 10)}`;
}

/**
 * Makes echarts' SVG static and reproducible: drops the hover stylesheet and its classes (they carry
 * a process-wide counter) and echarts' metadata attributes, renames the remaining ids (clip paths)
 * to `prefix-n`, and adds a <title>. Throws if anything in its markup could load or run something
 * (text is not judged: see `assertSelfContained`).
 */
export function cleanSvg(svg: string, prefix: string, title: string): string {
  const ids = new Map<string, string>();
  const cleaned = svg
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>\s*/g, '')
    .replace(/ class="zr\d+-cls-\d+"/g, '')
    .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/\bzr\d+-[A-Za-z0-9_-]+/g, (id) => {
      let renamed = ids.get(id);
      if (renamed === undefined) {
        renamed = `${prefix}-${ids.size}`;
        ids.set(id, renamed);
      }
      return renamed;
    })
    .replace(/^(<svg\b[^>]*>)/, `$1<title>${escapeXml(title)}</title>`);
  assertSelfContained(cleaned);
  return cleaned;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
