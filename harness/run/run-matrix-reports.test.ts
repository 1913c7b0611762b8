import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { RunRecord } from '../common/run-record.js';
import { loadMatrix } from '../config/index.js';
import { REPO_ROOT } from '../testing/cli.js';
import { defaultRegistries } from './registries.js';
import { runMatrix } from './run-matrix.js';

describe('runMatrix writing reports', () => {
  let outDir = '';
  beforeEach(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'run-matrix-reports-'));
  });
  afterEach(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it("keeps run.json, the other reports and the run's exit code when a reporter fails", async () => {
    const plan = await loadMatrix(join(REPO_ROOT, 'matrices/demo.yaml'));
    const runId = 'reporter-fails';
    // A folder where index.html must go: the html reporter cannot write it.
    await mkdir(join(outDir, runId, 'index.html'), { recursive: true });
    const result = await runMatrix({
      plan,
      cells: [],
      outDir,
      runId,
      concurrency: 1,
      signal: new AbortController().signal,
      clock: systemClock,
      registries: defaultRegistries(),
      tool: { name: 'upgrade-harness', version: 'test' },
      host: { node: process.version, platform: 'linux-x64', cpus: 2 },
      reporters: ['html', 'markdown', 'junit'],
    });
    expect(result.record.exitCode).toBe(0);
    expect(result.record.status).toBe('completed');
    expect(result.reportErrors).toHaveLength(1);
    expect(result.reportErrors[0]).toMatch(/html: .*index\.html/);
    expect(result.files.map((f) => f.slice(result.runDir.length + 1)).sort()).toEqual([
      'junit.xml',
      'summary.md',
    ]);
    const saved = JSON.parse(await readFile(join(result.runDir, 'run.json'), 'utf8')) as RunRecord;
    expect(saved.exitCode).toBe(0);
    expect(saved.status).toBe('completed');
  });
});
