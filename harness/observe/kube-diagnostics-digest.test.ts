import { describe, expect, it } from 'vitest';
import {
  eventDigest,
  logTargets,
  nodeDigest,
  type PodDigest,
  podDigest,
  sortEvents,
} from './kube-diagnostics-digest.js';
import { renderKubeSummary } from './kube-diagnostics-summary.js';

function digest(ready: boolean, containers: PodDigest['containers']): PodDigest {
  return { name: 'p', workload: 'Pod/p', ready, restarts: 0, images: [], conditions: [], containers };
}

describe('kube diagnostics digests', () => {
  it('picks the logs that explain a problem: started containers of a pod not ready, restarted ones of any', () => {
    expect(
      logTargets(digest(true, [{ name: 'app', ready: true, restartCount: 0, state: 'running' }])),
    ).toEqual([]);
    expect(
      logTargets(
        digest(true, [
          { name: 'app', ready: true, restartCount: 2, state: 'running' },
          { name: 'side', ready: true, restartCount: 0, state: 'running' },
        ]),
      ),
    ).toEqual([
      { container: 'app', previous: false },
      { container: 'app', previous: true },
    ]);
    expect(
      logTargets(
        digest(false, [
          {
            name: 'init',
            init: true,
            ready: false,
            restartCount: 0,
            state: 'terminated: Completed (exit 0)',
          },
          { name: 'migrate', init: true, ready: false, restartCount: 0, state: 'terminated: Error (exit 1)' },
          { name: 'app', ready: false, restartCount: 0, state: 'running' },
          { name: 'creating', ready: false, restartCount: 0, state: 'waiting: ContainerCreating' },
        ]),
      ),
    ).toEqual([
      { container: 'migrate', previous: false },
      { container: 'app', previous: false },
    ]);
  });

  it('keeps no env, command or args of a pod, and reads dates given as Date objects', () => {
    const pod = podDigest({
      metadata: { name: 'solo', deletionTimestamp: '2026-01-01T00:00:00Z' },
      spec: { containers: [{ name: 'app', image: 'a:1', env: [{ name: 'K', value: 'v' }], command: ['x'] }] },
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        startTime: new Date(Date.UTC(2026, 0, 1)),
        containerStatuses: [
          { name: 'app', restartCount: 1, state: { terminated: { reason: 'Error', exitCode: 2 } } },
        ],
      },
    });
    expect(pod).toEqual({
      name: 'solo',
      workload: 'Pod/solo',
      phase: 'Failed',
      ready: false,
      startTime: '2026-01-01T00:00:00.000Z',
      deleting: true,
      reason: 'Evicted',
      restarts: 1,
      images: ['a:1'],
      conditions: [],
      containers: [{ name: 'app', ready: false, restartCount: 1, state: 'terminated: Error (exit 2)' }],
    });
  });

  it('names node problems: not Ready, a pressure, no Ready condition at all, cordoned', () => {
    const node = nodeDigest({
      metadata: { name: 'n1' },
      spec: { unschedulable: true },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting',
          },
          { type: 'DiskPressure', status: 'True' },
          { type: 'PIDPressure', status: 'False' },
        ],
      },
    });
    expect(node).toMatchObject({ ready: false, unschedulable: true });
    expect(node.problems).toEqual([
      'Ready is Unknown (NodeStatusUnknown: Kubelet stopped posting)',
      'DiskPressure is True',
    ]);
    expect(nodeDigest({ metadata: { name: 'n2' }, status: {} }).problems).toEqual([
      'no Ready condition reported',
    ]);
  });

  it('orders events by time and reads events.k8s.io fields too', () => {
    const a = eventDigest({
      metadata: { name: 'a' },
      lastTimestamp: '2026-01-01T00:00:10Z',
      reason: 'Late',
      involvedObject: { kind: 'Pod', name: 'x' },
    });
    const b = eventDigest({
      metadata: { name: 'b', creationTimestamp: '2026-01-01T00:00:01Z' },
      eventTime: '2026-01-01T00:00:02.000000Z',
      type: 'Warning',
      reason: 'Early',
      note: 'from events.k8s.io',
      regarding: { kind: 'Deployment', name: 'web' },
      series: { count: 4 },
    });
    expect(b).toMatchObject({
      object: 'Deployment/web',
      message: 'from events.k8s.io',
      count: 4,
      type: 'Warning',
    });
    expect(sortEvents([a, b]).map((e) => e.reason)).toEqual(['Early', 'Late']);
  });

  it('writes a summary whose hostile texts stay on their line and cannot open markup', () => {
    const md = renderKubeSummary({
      namespace: 'ns`<b>',
      collectedAt: Date.UTC(2026, 0, 1),
      pods: [
        {
          ...digest(false, [
            {
              name: 'app',
              ready: false,
              restartCount: 0,
              state: 'waiting: X',
              stateMessage: 'one\n# two <img src=x>',
            },
          ]),
        },
      ],
      events: [],
      nodes: [],
      resources: [],
      logs: [],
      failures: [],
    });
    expect(md).toContain("# Kubernetes diagnostics: namespace `ns'&lt;b>`");
    expect(md).toContain('app waiting: X (one # two &lt;img src=x>)');
    expect(md).not.toContain('\n# two');
    expect(md).toContain('No warnings.');
    expect(md).toContain('All nodes Ready, no pressure.');
  });
});
