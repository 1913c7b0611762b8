/**
 * What a port-forward needs from the cluster before any byte flows: the kubeconfig at the cell's
 * context, the Service's pod selector and targetPort, and which pods are ready on which port.
 * Part of port-forward.ts.
 */

import type { CoreV1Api, V1Service } from '@kubernetes/client-node';
import { rejectAfter } from '../../common/deadline.js';
import { errorMessage, InfraError, UsageError } from '../../common/errors.js';
import type { KubeItem } from '../../observe/list-watch.js';
import { apiErrorText } from './api-errors.js';

export interface PodEntry {
  name: string;
  ready: boolean;
  /** The pod's port behind the Service port; undefined: a named targetPort the pod lacks. */
  port: number | undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The port a Service's targetPort means on this pod: a number as is, a name via its containers' ports. */
export function podPort(pod: KubeItem, targetPort: number | string): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  for (const container of records(spec.containers)) {
    for (const port of records(container.ports)) {
      if (port.name === targetPort && typeof port.containerPort === 'number') return port.containerPort;
    }
  }
  return undefined;
}

export function entryOf(pod: KubeItem, targetPort: number | string): PodEntry | undefined {
  const name = pod.metadata?.name;
  if (typeof name !== 'string') return undefined;
  const status = isRecord(pod.status) ? pod.status : {};
  const readyCondition = records(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
  // A pod being deleted leaves the Service's endpoints at once, whatever its readiness.
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  return { name, ready: readyCondition && !terminating, port: podPort(pod, targetPort) };
}

export function messageOf(err: unknown): string {
  if (isRecord(err) && typeof err.message === 'string') return err.message;
  return errorMessage(err);
}

export async function readService(core: CoreV1Api, namespace: string, name: string): Promise<V1Service> {
  try {
    return await core.readNamespacedService({ name, namespace });
  } catch (err: unknown) {
    if (isRecord(err) && err.code === 404) {
      throw new UsageError(
        `port-forward: Service ${namespace}/${name} does not exist`,
        'name the Service that selects the product pods (kubectl get services -n <namespace>)',
      );
    }
    throw new InfraError(`port-forward: cannot read Service ${namespace}/${name}: ${apiErrorText(err)}`);
  }
}

/** The Service's pod selector and the targetPort behind `port`. */
export function backendOf(
  svc: V1Service,
  where: string,
  port: number,
): { labelSelector: string; targetPort: number | string } {
  const selector = svc.spec?.selector ?? {};
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (labelSelector === '') {
    throw new UsageError(
      `port-forward: Service ${where} has no selector, so it names no pods to forward to`,
      'name a Service with a pod selector (not one backed by manual Endpoints)',
    );
  }
  const ports = svc.spec?.ports ?? [];
  const svcPort = ports.find((p) => p.port === port);
  if (!svcPort) {
    const known = ports.map((p) => String(p.port)).join(', ') || 'none';
    throw new UsageError(
      `port-forward: Service ${where} has no port ${port} (it has: ${known})`,
      'use one of the Service ports',
    );
  }
  return { labelSelector, targetPort: svcPort.targetPort ?? port };
}

/** `promise`, or an InfraError naming `what` once `ms` passed (the API server did not answer). */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return rejectAfter(
    promise,
    ms,
    () => new InfraError(`port-forward: no answer from the API server within ${ms / 1000} s ${what}`),
  );
}
