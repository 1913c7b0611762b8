import { randomBytes } from 'node:crypto';
import { kubeTime } from './json-util.js';
import type { ObjectStore } from './object-store.js';
import { apiVersionOf } from './resource-registry.js';
import type { KubeObject } from './types.js';

export interface KubeEventInput {
  involved: KubeObject;
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  /** The reporting controller, e.g. 'deployment-controller', 'kubelet'. */
  component?: string;
}

/** Writes a core/v1 Event about `involved` (in its namespace, default 'default'), as a controller would. */
export function recordKubeEvent(store: ObjectStore, input: KubeEventInput, now: number): KubeObject {
  const def = store.registry.byPath('', 'v1', 'events');
  if (!def) throw new Error('fake-kube: events are not registered');
  const meta = input.involved.metadata;
  const namespace = meta.namespace ?? 'default';
  const time = kubeTime(now);
  const component = input.component ?? 'fake-kube';
  return store.create(
    def,
    {
      apiVersion: apiVersionOf(def),
      kind: 'Event',
      metadata: { name: `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: input.involved.apiVersion,
        kind: input.involved.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      reason: input.reason,
      message: input.message,
      type: input.type ?? 'Normal',
      source: { component },
      reportingComponent: component,
      reportingInstance: 'fake-kube',
      firstTimestamp: time,
      lastTimestamp: time,
      eventTime: null,
      count: 1,
    },
    namespace,
    { mode: 'control' },
  );
}
