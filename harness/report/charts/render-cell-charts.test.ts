import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import {
  buildRunRecord,
  downtimeFailedCell,
  erroredCell,
  passedCell,
  realisticRunRecord,
  rolledBackCell,
} from '../../testing/run-record-builder.js';
import { renderCellCharts } from './render-cell-charts.js';

/** Every text node of a parsed SVG (titles, legend, phase labels, axis labels). */
function texts(svg: string): string[] {
  expect(XMLValidator.validate(svg)).toBe(true);
  const tree: unknown = new XMLParser({ ignoreAttributes: true }).parse(svg);
  const found: string[] = [];
  const walk = (node: unknown, key = ''): void => {
    if (Array.isArray(node)) for (const n of node) walk(n, key);
    else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    } else if (key === 'text' || key === 'title' || key === '#text') found.push(String(node));
  };
  walk(tree);
  return found;
}

function chartsOf(cell: CellRecord) {
  return renderCellCharts(cell, buildRunRecord({ cells: [cell] }));
}

function chart(cell: CellRecord, name: string): string {
  const svg = chartsOf(cell).find((c) => c.name === name)?.svg;
  if (!svg) throw new Error(`no chart ${name}`);
  return svg;
}

describe('renderCellCharts', () => {
  it('draws rate, latency and version share as well-formed SVG with the phases labelled', () => {
    const charts = chartsOf(passedCell());
    expect(charts.map((c) => c.name)).toEqual(['rate-by-outcome', 'latency', 'version-share']);
    for (const c of charts) {
      expect(c.svg.startsWith('<svg')).toBe(true);
      expect(c.title).not.toBe('');
      const words = texts(c.svg);
      for (const phase of ['baseline', 'upgrade', 'settle']) expect(words).toContain(phase);
      expect(words).toContain('seconds since cell start');
    }
    expect(texts(chart(passedCell(), 'latency'))).toEqual(expect.arrayContaining(['p50', 'p99']));
    expect(texts(chart(passedCell(), 'version-share'))).toEqual(expect.arrayContaining(['1.0.0', '1.1.0']));
  });

  it('has a series per outcome that occurred, and downtime only where there was some', () => {
    const downtime = texts(chart(downtimeFailedCell(), 'rate-by-outcome'));
    expect(downtime).toEqual(expect.arrayContaining(['ok', 'refused', 'reset', 'downtime']));
    expect(downtime).not.toContain('timeout');
    const passed = texts(chart(passedCell(), 'rate-by-outcome'));
    expect(passed).toEqual(expect.arrayContaining(['ok', 'http_5xx']));
    expect(passed).not.toContain('downtime');
    expect(passed).not.toContain('refused');
  });

  it('marks a phase that did not pass', () => {
    const words = texts(chart(rolledBackCell(), 'rate-by-outcome'));
    expect(words).toEqual(expect.arrayContaining(['upgrade (failed)', 'rollback', 'verify-rollback']));
  });

  it('gives the same bytes for the same cell, whatever was rendered before', () => {
    const first = chartsOf(downtimeFailedCell());
    chartsOf(passedCell());
    chartsOf(rolledBackCell());
    expect(chartsOf(downtimeFailedCell())).toEqual(first);
  });

  it('keeps ids unique across cells and free of scripts, styles and outside references', () => {
    const record = realisticRunRecord();
    const ids = new Set<string>();
    for (const cell of record.cells) {
      for (const c of renderCellCharts(cell, record)) {
        expect(c.svg).not.toMatch(/<script|<style|<image|<foreignObject|\son\w+=|zr\d+-/i);
        expect(c.svg).not.toMatch(/href="(?!#)|url\((?!#)/);
        for (const [, id] of c.svg.matchAll(/\sid="([^"]+)"/g)) {
          expect(ids.has(id ?? '')).toBe(false);
          ids.add(id ?? '');
        }
      }
    }
    expect(ids.size).toBeGreaterThan(0);
  });

  it('draws versions and ids whose wording looks like markup (they are text, not markup)', () => {
    const cell = passedCell({ id: 'cell onprem=1 url(x)' });
    for (const bucket of cell.timeline?.buckets ?? []) {
      const [first = 0, second = 0] = Object.values(bucket.byVersion);
      bucket.byVersion = { 'curl(7) build': first, '2.0 onprem=1': second };
    }
    const svg = chart(cell, 'version-share');
    expect(texts(svg)).toEqual(expect.arrayContaining(['curl(7) build', '2.0 onprem=1']));
  });

  it('escapes text from the record', () => {
    const cell = passedCell({ id: 'evil<script>alert(1)</script>&"' });
    const svg = chart(cell, 'rate-by-outcome');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('evil&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;');
    expect(texts(svg)).toContain(cell.id);
  });

  it('draws nothing for a cell without a timeline or with an empty one', () => {
    expect(chartsOf(erroredCell())).toEqual([]);
    const empty = passedCell();
    empty.timeline = { bucketMs: 100, startedAt: empty.startedAt, buckets: [] };
    expect(chartsOf(empty)).toEqual([]);
  });
});
