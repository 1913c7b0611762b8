import { describe, expect, it } from 'vitest';
import type { KubeItem } from './list-watch.js';
import { PodTracker, workloadOf } from './pod-timeline.js';

function pod(
  name: string,
  opts: {
    uid?: string;
    image?: string;
    ready?: boolean;
    restarts?: number;
    reason?: string;
    owner?: string;
    hash?: string;
  } = {},
): KubeItem {
  return {
    metadata: {
      name,
      uid: opts.uid ?? `uid-${name}`,
      ...(opts.hash ? { labels: { 'pod-template-hash': opts.hash } } : {}),
      ...(opts.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: 'rs', controller: true },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'app', image: opts.image ?? 'app:1' }] },
    status: {
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
      containerStatuses: [
        {
          name: 'app',
          restartCount: opts.restarts ?? 0,
          lastState: opts.reason ? { terminated: { reason: opts.reason, exitCode: 137 } } : {},
        },
      ],
    },
  };
}

describe('workloadOf', () => {
  it('maps a ReplicaSet with the pod-template-hash suffix to its Deployment', () => {
    expect(workloadOf(pod('web-abc-x', { owner: 'web-abc', hash: 'abc' }))).toEqual({
      workload: 'Deployment/web',
      owner: { kind: 'ReplicaSet', name: 'web-abc' },
    });
    expect(workloadOf(pod('rs-x', { owner: 'plain-rs' })).workload).toBe('ReplicaSet/plain-rs');
    expect(workloadOf(pod('bare')).workload).toBe('Pod/bare');
  });
});

describe('PodTracker', () => {
  it('reports several restarts at once with their increase and the termination reason', () => {
    const t = new PodTracker();
    t.upsert(pod('p'), 'initial', 1);
    const out = t.upsert(pod('p', { restarts: 3, reason: 'OOMKilled', ready: false }), 'live', 2);
    expect(out).toEqual([
      expect.objectContaining({
        kind: 'container-restarted',
        restartCount: 3,
        increase: 3,
        reason: 'OOMKilled',
        exitCode: 137,
      }),
      expect.objectContaining({ kind: 'pod-not-ready', pod: 'p', at: 2 }),
    ]);
    expect(t.upsert(pod('p', { restarts: 3, ready: false }), 'live', 3)).toEqual([]);
    expect(t.summary()).toEqual([
      { workload: 'Pod/p', podsSeen: 1, restarts: 3, maxNotReady: 1, images: ['app:1'] },
    ]);
  });

  it('on a re-list reports pods gone meanwhile as missed deletes, and a reused name with a new uid as replaced', () => {
    const t = new PodTracker();
    t.upsert(pod('a'), 'initial', 1);
    t.upsert(pod('b'), 'initial', 1);
    const out = t.resync([pod('b', { uid: 'new-b', image: 'app:2' }), pod('c')], 5);
    expect(out.map((e) => `${e.kind} ${'pod' in e ? e.pod : ''}`)).toEqual([
      'pod-deleted b',
      'pod-added b',
      'image-changed b',
      'pod-ready b',
      'pod-added c',
      'pod-ready c',
      'pod-deleted a',
    ]);
    expect(out.filter((e) => e.kind === 'pod-deleted').every((e) => 'missed' in e && e.missed)).toBe(true);
    // A bare pod is its own workload: its new incarnation's image is compared with the old one's.
    expect(out.find((e) => e.kind === 'image-changed')).toMatchObject({
      fromImage: 'app:1',
      toImage: 'app:2',
    });
  });

  it('reports a new pod of the same workload with another image as image-changed, once', () => {
    const t = new PodTracker();
    t.upsert(pod('web-h1-a', { owner: 'web-h1', hash: 'h1' }), 'initial', 1);
    const first = t.upsert(
      pod('web-h2-a', { owner: 'web-h2', hash: 'h2', image: 'app:2', ready: false }),
      'live',
      2,
    );
    expect(first.map((e) => e.kind)).toEqual(['pod-added', 'image-changed']);
    const second = t.upsert(
      pod('web-h2-b', { owner: 'web-h2', hash: 'h2', image: 'app:2', ready: false }),
      'live',
      3,
    );
    expect(second.map((e) => e.kind)).toEqual(['pod-added']);
    expect(t.summary()).toEqual([
      { workload: 'Deployment/web', podsSeen: 3, restarts: 0, maxNotReady: 2, images: ['app:1', 'app:2'] },
    ]);
  });
});
