import { describe, expect, it } from 'vitest';
import { formatDurationMs, type GcPolicy, judgeCluster, parseDurationMs } from './cluster-gc.js';
import type { ClusterMarker } from './cluster-marker.js';

const NOW = Date.parse('2026-01-02T12:00:00Z');
const HOUR = 3_600_000;

const policy: GcPolicy = {
  now: NOW,
  host: 'runner-1',
  olderThanMs: 24 * HOUR,
  keepUnknown: false,
  isProcessAlive: (pid) => pid === 100,
};

function marker(overrides: Partial<ClusterMarker> = {}): ClusterMarker {
  return {
    version: 1,
    name: 'uh-a-1',
    platform: 'kind',
    runId: 'r1',
    cellId: 'c1',
    createdAt: new Date(NOW - HOUR).toISOString(),
    pid: 100,
    host: 'runner-1',
    ...overrides,
  };
}

const judge = (m: ClusterMarker | undefined, p: Partial<GcPolicy> = {}, name = 'uh-a-1') =>
  judgeCluster({ platform: 'kind', name, marker: m }, { ...policy, ...p });

describe('judgeCluster', () => {
  it('keeps a cluster whose run is alive on this host', () => {
    expect(judge(marker())).toMatchObject({ action: 'keep', reason: 'its run (pid 100) is still running' });
  });

  it('deletes one whose run on this host is gone', () => {
    expect(judge(marker({ pid: 200 }))).toMatchObject({
      action: 'delete',
      reason: 'its run (pid 200 on this host) is gone',
      owner: { runId: 'r1', cellId: 'c1' },
    });
  });

  it('deletes one older than the limit even if its process lives', () => {
    const old = marker({ createdAt: new Date(NOW - 30 * HOUR).toISOString() });
    expect(judge(old)).toMatchObject({ action: 'delete', reason: 'created 30h ago, longer than 24h' });
    expect(judge(old, { olderThanMs: 48 * HOUR }).action).toBe('keep');
  });

  it('keeps a young cluster made on another host', () => {
    expect(judge(marker({ host: 'runner-2', pid: 200 }))).toMatchObject({
      action: 'keep',
      reason: expect.stringContaining('made on host runner-2 60m ago'),
    });
  });

  it('deletes one nobody owns, unless asked to keep those', () => {
    expect(judge(undefined).action).toBe('delete');
    expect(judge(undefined, { keepUnknown: true }).action).toBe('keep');
    // A marker for the other platform does not describe this cluster.
    expect(judge(marker({ platform: 'k3d' })).action).toBe('delete');
  });

  it('reads the owner from k3d labels when the marker is lost', () => {
    const labels = {
      run: 'r9',
      cell: 'c9',
      host: 'runner-1',
      pid: '100',
      created: new Date(NOW).toISOString(),
    };
    const verdict = judgeCluster({ platform: 'k3d', name: 'uh-b-2', marker: undefined, labels }, policy);
    expect(verdict).toMatchObject({ action: 'keep', owner: { runId: 'r9', pid: 100 } });
    const dead = judgeCluster(
      { platform: 'k3d', name: 'uh-b-2', marker: undefined, labels: { ...labels, pid: '5' } },
      policy,
    );
    expect(dead.action).toBe('delete');
  });

  it('never deletes a cluster without the uh- prefix', () => {
    expect(judge(undefined, {}, 'kind').action).toBe('keep');
  });
});

describe('durations', () => {
  it('parses --older-than values', () => {
    expect(parseDurationMs('24h')).toBe(24 * HOUR);
    expect(parseDurationMs('1h30m')).toBe(1.5 * HOUR);
    expect(parseDurationMs('2d')).toBe(48 * HOUR);
    expect(parseDurationMs('90s')).toBe(90_000);
    for (const bad of ['', '24', 'h', '-1h', '1 h', '0h', '1w']) expect(parseDurationMs(bad)).toBeUndefined();
  });

  it('formats ages', () => {
    expect([30_000, 10 * 60_000, 5 * HOUR, 100 * HOUR].map(formatDurationMs)).toEqual([
      '30s',
      '10m',
      '5h',
      '4d',
    ]);
  });
});
