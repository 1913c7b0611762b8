import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../common/exec.js';
import type { RunRecord } from '../../common/run-record.js';
import { runCli } from '../../testing/cli.js';
import { clusterName } from '../kube/cluster-name.js';

/**
 * The whole CLI on a real kind cluster: `upgrade-harness run matrices/kind-helm.yaml --filter
 * platform=kind` (podinfo's Helm chart, 6.7.0 → 6.7.1 under load, rollback drill, two Kubernetes
 * versions). Needs Docker, kind, and network for the chart and images; takes ~10 minutes.
 * Run it with: UPGRADE_HARNESS_IT=1 npx vitest run harness/platforms/kind/kind.int.test.ts
 */

const enabled = process.env.UPGRADE_HARNESS_IT === '1';
const MATRIX = 'matrices/kind-helm.yaml';
const TWENTY_FIVE_MINUTES = 25 * 60_000;

describe.skipIf(!enabled)('real kind (skipped: set UPGRADE_HARNESS_IT=1 where Docker and kind exist)', () => {
  let out: string;
  const runId = `it-kind-${Date.now().toString(36)}`;

  beforeAll(async () => {
    // Enabled but unable to run is a failure, not a skip: say what is missing.
    await runCommand(['kind', 'version'], { timeoutMs: 30_000 }).catch((err: unknown) => {
      throw new Error(`UPGRADE_HARNESS_IT=1 but kind does not run here: ${String(err)}`);
    });
    await runCommand(['docker', 'info'], { timeoutMs: 30_000 }).catch((err: unknown) => {
      throw new Error(`UPGRADE_HARNESS_IT=1 but no Docker daemon answers: ${String(err)}`);
    });
    out = await mkdtemp(join(tmpdir(), 'uh-kind-it-'));
  });

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('runs podinfo on kind through the CLI: exit 0, every cell passed, no cluster of the run left', {
    timeout: TWENTY_FIVE_MINUTES,
  }, async () => {
    const result = await runCli([
      'run',
      MATRIX,
      '--filter',
      'platform=kind',
      '--out',
      out,
      '--run-id',
      runId,
      '--progress',
      'plain',
    ]);
    const runJson = join(out, runId, 'run.json');
    expect(existsSync(runJson), `no run.json; stderr:\n${result.stderr}`).toBe(true);
    const record = JSON.parse(await readFile(runJson, 'utf8')) as RunRecord;

    expect(record.cells.length).toBe(2);
    expect(record.cells.map((c) => c.axes.platform)).toEqual(['kind', 'kind']);
    // Status with its reason, so a failure says why.
    expect(record.cells.map((c) => ({ id: c.id, status: c.status, reason: c.reason }))).toEqual(
      record.cells.map((c) => ({ id: c.id, status: 'passed', reason: undefined })),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(record.exitCode).toBe(0);

    // Teardown deleted every cluster of this run (names are derived from run and cell ids).
    const clusters = (await runCommand(['kind', 'get', 'clusters'], { timeoutMs: 60_000 })).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    for (const cell of record.cells) expect(clusters).not.toContain(clusterName(runId, cell.id));
    const runPart = runId.replace(/[^a-z0-9]/g, '').slice(-12);
    expect(clusters.filter((c) => c.startsWith(`uh-${runPart}-`))).toEqual([]);
  });
});
