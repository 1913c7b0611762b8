import { describe, expect, it } from 'vitest';
import { judgeNamespace, type NamespaceCandidate, type NamespaceGcPolicy } from './namespace-gc.js';
import { cellNamespaceMeta, namespaceOwner } from './namespace-labels.js';

const BOOT = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const OTHER_BOOT = '6fa459ea-ee8a-3ca4-894e-db77e160355e';

function candidate(owner: {
  host: string;
  pid: number;
  bootId?: string;
  pidStart?: string;
}): NamespaceCandidate {
  const meta = cellNamespaceMeta({
    runId: 'r1',
    cellId: 'c1',
    createdAt: '2026-11-27T10:00:00.000Z',
    ...owner,
  });
  return { name: 'uh-12345678', owner: namespaceOwner(meta.labels, meta.annotations), terminating: false };
}

const policy = (over: Partial<NamespaceGcPolicy> = {}): NamespaceGcPolicy => ({
  now: Date.parse('2026-11-27T11:00:00.000Z'),
  host: 'runner-abc-project-1-concurrent-0',
  includeOtherHosts: false,
  isProcessAlive: (pid) => pid === 100,
  bootId: BOOT,
  processStart: (pid) => (pid === 100 ? '5000' : undefined),
  ...over,
});

describe('judgeNamespace: whose run is alive', () => {
  const host = 'runner-abc-project-1-concurrent-0';

  it('keeps the namespace of a live run: same host, same boot, same process', () => {
    expect(
      judgeNamespace(candidate({ host, pid: 100, bootId: BOOT, pidStart: '5000' }), policy()).action,
    ).toBe('keep');
  });

  it('deletes it when the pid is gone, or now belongs to another process (pid reuse)', () => {
    expect(
      judgeNamespace(candidate({ host, pid: 200, bootId: BOOT, pidStart: '5000' }), policy()).action,
    ).toBe('delete');
    const reused = judgeNamespace(candidate({ host, pid: 100, bootId: BOOT, pidStart: '4000' }), policy());
    expect(reused).toEqual({
      action: 'delete',
      reason: 'its run is gone (pid 100 now belongs to another process)',
    });
  });

  it('never deletes a look-alike host\u2019s namespace (same name, another boot): unknown unless --include-other-hosts', () => {
    // Two CI machines whose job containers share a host name; the other one's run is alive there.
    const elsewhere = candidate({ host, pid: 100, bootId: OTHER_BOOT, pidStart: '5000' });
    expect(judgeNamespace(elsewhere, policy()).action).toBe('unknown');
    expect(judgeNamespace(elsewhere, policy({ includeOtherHosts: true })).action).toBe('delete');
  });

  it('falls back to the pid alone for namespaces recorded without a boot id or start time', () => {
    expect(judgeNamespace(candidate({ host, pid: 100 }), policy()).action).toBe('keep');
    expect(judgeNamespace(candidate({ host, pid: 300 }), policy()).action).toBe('delete');
    expect(judgeNamespace(candidate({ host: 'elsewhere', pid: 300 }), policy()).action).toBe('unknown');
  });
});
