import { describe, expect, it } from 'vitest';
import { clusterName, isHarnessCluster, MAX_CLUSTER_NAME_LENGTH } from './cluster-name.js';

describe('clusterName', () => {
  it('is uh-, the end of the run id and a hash: DNS-safe, short, stable', () => {
    const name = clusterName('20260101-020304-a1b2', 'kind-helm-rolling-17.3.0-18.2.0');
    expect(name).toMatch(/^uh-01020304a1b2-[0-9a-f]{10}$/);
    expect(clusterName('20260101-020304-a1b2', 'kind-helm-rolling-17.3.0-18.2.0')).toBe(name);
  });

  it('differs between cells, and between runs whose ids end alike', () => {
    const names = new Set([
      clusterName('run-1', 'a'),
      clusterName('run-1', 'b'),
      clusterName('nightly/run-1', 'a'),
    ]);
    expect(names.size).toBe(3);
  });

  it('stays within 32 characters of [a-z0-9-] whatever the run id', () => {
    for (const runId of ['x'.repeat(200), 'Shard 1/3 — Nightly!', '---', '']) {
      const name = clusterName(runId, 'cell');
      expect(name.length).toBeLessThanOrEqual(MAX_CLUSTER_NAME_LENGTH);
      expect(name).toMatch(/^uh-[a-z0-9]+(-[0-9a-f]+)?$/);
      expect(isHarnessCluster(name)).toBe(true);
    }
    expect(clusterName('---', 'cell')).toMatch(/^uh-[0-9a-f]{10}$/);
  });

  it('tells ours from others', () => {
    expect(isHarnessCluster('kind')).toBe(false);
    expect(isHarnessCluster('uhx')).toBe(false);
  });
});
