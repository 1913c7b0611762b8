import { mergeConditions } from './conditions.js';
import { clone, deepEqual, isPlainObject, randomSuffix } from './json-util.js';
import { type ContainerSpec, isPodReady, type PodPhaseState, podStatus } from './pod-status.js';
import type { ConditionInput, KubeObject, OwnerReference } from './types.js';

/** The objects a rolling update consists of, built as the deployment controller and kubelet write them. */

export type Spec = Record<string, unknown>;

export const HASH_LABEL = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid);
}

export function podTemplateOf(workload: KubeObject): Spec {
  const spec = isPlainObject(workload.spec) ? workload.spec : {};
  return clone(isPlainObject(spec.template) ? spec.template : {});
}

export function templateLabels(template: Spec): Record<string, string> {
  const meta = isPlainObject(template.metadata) ? template.metadata : {};
  return isPlainObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
}

export function selectorOf(dep: KubeObject): Record<string, string> {
  const spec = isPlainObject(dep.spec) ? dep.spec : {};
  const selector = isPlainObject(spec.selector) ? spec.selector.matchLabels : undefined;
  return isPlainObject(selector) ? (selector as Record<string, string>) : templateLabels(podTemplateOf(dep));
}

export function matchesLabels(obj: KubeObject, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => obj.metadata.labels?.[k] === v);
}

function withoutHash(template: Spec): Spec {
  const copy = clone(template);
  const meta = isPlainObject(copy.metadata) ? copy.metadata : {};
  if (isPlainObject(meta.labels)) delete meta.labels[HASH_LABEL];
  return copy;
}

/** Whether two pod templates are the same apart from the pod-template-hash label (the controller's test). */
export function sameTemplate(a: Spec, b: Spec): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

export function hashedTemplate(template: Spec, hash: string): Spec {
  const meta = isPlainObject(template.metadata) ? template.metadata : {};
  return {
    ...clone(template),
    metadata: { ...meta, labels: { ...templateLabels(template), [HASH_LABEL]: hash } },
  };
}

export function replicaSetFor(
  dep: KubeObject,
  template: Spec,
  revision: number,
  replicas: number,
): KubeObject {
  const hash = randomSuffix(10);
  const hashed = hashedTemplate(template, hash);
  const labels = templateLabels(hashed);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${dep.metadata.name}-${hash}`,
      namespace: dep.metadata.namespace,
      labels,
      annotations: { [REVISION]: String(revision) },
      ownerReferences: [controllerRef(dep)],
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...selectorOf(dep), [HASH_LABEL]: hash } },
      template: hashed,
    },
    status: { replicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 },
  };
}

export function podFor(rs: KubeObject, main: string, state: PodPhaseState, time: string): KubeObject {
  const template = podTemplateOf(rs);
  const hash = templateLabels(template)[HASH_LABEL] ?? randomSuffix(10);
  const base = (rs.metadata.name ?? 'pod').replace(new RegExp(`-${hash}$`), '');
  const podSpec = isPlainObject(template.spec) ? template.spec : {};
  const containers = (Array.isArray(podSpec.containers) ? podSpec.containers : []) as ContainerSpec[];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${base}-${hash}-${randomSuffix(5)}`,
      namespace: rs.metadata.namespace,
      labels: templateLabels(template),
      ownerReferences: [controllerRef(rs)],
    },
    spec: { ...podSpec, nodeName: 'fake-node-1' },
    status: podStatus(containers, main, state, time, time),
  };
}

/** Deployment status from its pods: counts, and Available computed with maxUnavailable 25%. */
export function deploymentStatus(
  dep: KubeObject,
  pods: KubeObject[],
  newRs: KubeObject | undefined,
  conditions: ConditionInput[],
  time: string,
): Spec {
  const spec = isPlainObject(dep.spec) ? dep.spec : {};
  const wanted = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const ready = pods.filter(isPodReady).length;
  const updated = newRs ? pods.filter((p) => isControlledBy(p, newRs)).length : 0;
  const available = ready >= wanted - Math.floor(wanted * 0.25);
  const availability: ConditionInput = available
    ? {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      }
    : {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      };
  const previous = isPlainObject(dep.status) ? dep.status.conditions : undefined;
  return {
    observedGeneration: dep.metadata.generation ?? 1,
    replicas: pods.length,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, wanted - ready),
    conditions: mergeConditions(
      previous,
      [availability, ...conditions.filter((c) => c.type !== 'Available')],
      time,
      { lastUpdateTime: true },
    ),
  };
}

export function replicaSetStatus(rs: KubeObject, pods: KubeObject[]): Spec {
  const ready = pods.filter(isPodReady).length;
  return {
    replicas: pods.length,
    fullyLabeledReplicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: rs.metadata.generation ?? 1,
  };
}

export function newDeployment(
  namespace: string,
  name: string,
  replicas: number,
  container: string,
  image: string,
): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: { containers: [{ name: container, image }] } },
    },
  };
}

/** The template with `main`'s image set to `image`. */
export function withImage(template: Spec, main: string, image: string): Spec {
  const copy = clone(template);
  const podSpec = isPlainObject(copy.spec) ? copy.spec : {};
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as ContainerSpec[]) : [];
  podSpec.containers = containers.map((c) => (c.name === main ? { ...c, image } : c));
  copy.spec = podSpec;
  return copy;
}
