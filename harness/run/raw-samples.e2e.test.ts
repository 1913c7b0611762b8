/**
 * End to end: real cells (the reference app, rolling and recreate upgrades with rollback) with
 * traffic.rawSamples on. The raw file holds every sample; analysing those samples with the
 * array-based reference gives exactly what the cell folded live, phase attribution included.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureSamples } from '../analyze/measure-samples.js';
import { systemClock } from '../common/clock.js';
import type { Sample } from '../common/sample.js';
import { loadMatrix } from '../config/index.js';
import { readRawSamples } from '../load/raw-samples.js';
import { REPO_ROOT } from '../testing/cli.js';
import { defaultRegistries } from './registries.js';
import { runMatrix } from './run-matrix.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('raw samples of a real cell', () => {
  it('are all written, and the folded analysis equals the array analysis of them', async () => {
    const out = await mkdtemp(join(tmpdir(), 'raw-e2e-'));
    dirs.push(out);
    const plan = await loadMatrix(join(REPO_ROOT, 'matrices/demo.yaml'));
    plan.scenario.traffic.rawSamples = true;
    // Rolling passes; recreate has an outage (downtime intervals while requests are refused).
    const cells = plan.cells.filter((c) => c.path.to === '1.1.0');
    expect(cells).toHaveLength(2);
    const { record } = await runMatrix({
      plan,
      cells,
      outDir: out,
      runId: 'raw',
      concurrency: 2,
      signal: new AbortController().signal,
      clock: systemClock,
      registries: defaultRegistries(),
      tool: { name: 'upgrade-harness', version: 'test' },
      host: { node: process.version, platform: process.platform, cpus: 2 },
    });
    let downtimeSeen = 0;
    for (const cell of record.cells) {
      const planned = cells.find((c) => c.id === cell.id)!;
      expect(cell.matchedExpectation, cell.id).toBe(true);
      const samples: Sample[] = [];
      for await (const s of readRawSamples(join(out, 'raw', cell.artifactsDir, 'samples.ndjson.gz')))
        samples.push(s);
      expect(samples.length).toBe(cell.requests.total);
      expect(samples.length).toBeGreaterThan(100);

      const sorted = [...samples].sort((a, b) => a.startMs - b.startMs);
      const want = measureSamples(sorted, {
        phases: cell.phases,
        successRatio: plan.scenario.slo.successRatio,
        from: planned.path.from,
        to: planned.path.to,
      });
      expect(cell.errorBudget).toEqual(want.errorBudget);
      expect(cell.downtime).toEqual(want.downtime);
      expect(cell.latency).toEqual(want.latency);
      expect(cell.versions).toEqual(want.versions);
      expect(cell.requests.byOutcome).toEqual(want.byOutcome);
      expect(cell.timeline?.buckets.reduce((n, b) => n + b.total, 0)).toBe(samples.length);
      expect(cell.checks.find((c) => c.name === 'version')?.message).toBe(
        `settle: ${want.settleVersions.total} of ${want.settleVersions.total} responses from ${planned.path.to}`,
      );
      downtimeSeen += cell.downtime.length;
    }
    expect(downtimeSeen).toBeGreaterThan(0);
  }, 180_000);
});
