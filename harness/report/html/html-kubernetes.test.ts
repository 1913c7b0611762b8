import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CellRecord } from '../../common/run-record.js';
import { buildRunRecord, passedCell } from '../../testing/run-record-builder.js';
import { withKubernetes } from '../../testing/run-record-kube.js';
import type { CellChartRenderer } from '../reporter.js';
import { HtmlReporter } from './html-reporter.js';

const noCharts: CellChartRenderer = () => [];
const EVIL = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

function sectionOf(html: string, cellId: string): string {
  const section = html.split('<section class="cell"').find((s) => s.includes(`>${cellId}</span>`));
  if (!section) throw new Error(`no section for ${cellId}`);
  return section.slice(0, section.indexOf('</section>'));
}

describe('the HTML report of a cell on Kubernetes', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'html-kube-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function page(cells: CellRecord[]): Promise<string> {
    await new HtmlReporter({ renderer: noCharts }).write(buildRunRecord({ cells }), dir);
    return readFile(join(dir, 'index.html'), 'utf8');
  }

  it('shows pod events by phase, the workloads, the port-forward and the notes', async () => {
    const cell = withKubernetes(passedCell({ id: 'on-kind' }), {
      namespace: 'uh-abc',
      settleRestarts: 1,
      portForward: { accepted: 120, tunnelled: 117, noReadyPod: 2, errors: 1 },
      notes: ['the Event watch gave up after 8 failures'],
    });
    const html = await page([cell, passedCell({ id: 'local' })]);
    const section = sectionOf(html, 'on-kind');
    expect(section).toContain('Kubernetes: pod events by phase <span class="muted mono">uh-abc</span></h3>');
    const rows = [...section.matchAll(/<tr><td>(\w[\w-]*)<\/td>(.*?)<\/tr>/g)].map((m) => [
      m[1],
      [...(m[2] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]),
    ]);
    expect(rows).toContainEqual([
      'upgrade',
      ['<b>2</b>', '<b>2</b>', '2', '2', '2', '<b>1</b>', 'Deployment/web'],
    ]);
    expect(rows).toContainEqual(['settle', ['<b>1</b>', '0', '0', '0', '0', '0', 'Deployment/web']]);
    expect(section).toContain(
      '<tr><td class="muted">outside phases</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">2</td>',
    );
    expect(section).toContain(
      '<tr><td>Deployment/web</td><td class="num">4</td><td class="num"><b>3</b></td><td class="num"><b>1</b></td>' +
        '<td class="mono">registry.example/web:1.0.0, registry.example/web:1.1.0</td></tr>',
    );
    expect(section).toContain('<p class="muted">14 Kubernetes events, 1 warnings</p>');
    expect(section).toContain(
      '<p><b>Port-forward</b> 117 of 120 connections tunnelled, 2 found no ready pod, 1 failed on the pod&#39;s side</p>',
    );
    expect(section).toContain('<li>the Event watch gave up after 8 failures</li>');
    expect(sectionOf(html, 'local')).not.toContain('Kubernetes');
  });

  it('escapes hostile workload names, images, phases and notes, and survives wrong types', async () => {
    const cell = withKubernetes(passedCell({ id: 'hostile' }), {
      namespace: EVIL,
      workload: `Deployment/${EVIL}`,
      otherWorkloads: [EVIL],
      notes: [EVIL],
    });
    const k = cell.kubernetes as unknown as Record<string, unknown> & {
      byPhase: Array<Record<string, unknown>>;
      workloads: Array<Record<string, unknown>>;
    };
    k.workloads[0]!.images = [EVIL];
    k.byPhase[0]!.phase = EVIL;
    k.byPhase[0]!.detail = EVIL;
    k.byPhase[1]!.restarts = EVIL;
    k.byPhase[2]!.workloads = EVIL;
    k.outside = EVIL;
    k.portForward = { accepted: EVIL, tunnelled: 1, noReadyPod: 0, errors: 0 };
    k.kubeEvents = { total: EVIL, warnings: 0 };
    const broken = withKubernetes(passedCell({ id: 'broken-lists' }));
    const b = broken.kubernetes as unknown as Record<string, unknown>;
    b.byPhase = EVIL;
    b.workloads = { length: 3 };
    b.notes = EVIL;
    b.outside = 7;
    const html = await page([cell, broken]);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*\sonerror=/);
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;';
    const section = sectionOf(html, 'hostile');
    expect(section).toContain(`<td>Deployment/${escaped}</td>`);
    expect(section).toContain(`<td class="mono">${escaped}</td>`);
    expect(section).toContain(`<li>${escaped}</li>`);
    expect(section.split(escaped).length - 1).toBeGreaterThanOrEqual(9);
    const brokenSection = sectionOf(html, 'broken-lists');
    expect(brokenSection).toContain('No phases to attribute pod events to.');
    expect(brokenSection).toContain('No pods were seen.');
  });
});
