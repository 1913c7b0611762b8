/**
 * Traffic into a cluster without an ingress: a local listener on 127.0.0.1 whose every accepted
 * connection is tunnelled (client-node `PortForward`, the API server's pods/portforward) to a
 * ready pod behind the Service. Unlike `kubectl port-forward`, which dies with the one pod it
 * picked, each new connection picks a ready pod again, so traffic survives a rolling upgrade the
 * way it would through the Service.
 *
 * PLACEHOLDER SIGNATURE (the lead defined it; a helper implements it).
 */
import type { Logger } from '../../common/logger.js';
import type { KubeTarget } from '../platform.js';

export interface ServiceForwardOptions {
  target: KubeTarget;
  namespace: string;
  /** The Service's name and port (its targetPort is resolved to the pods' port). */
  service: string;
  port: number;
  logger: Logger;
  /** Aborting it closes the listener and every tunnel. */
  signal?: AbortSignal;
}

export interface ServiceForwardStats {
  /** Connections accepted / tunnelled / refused because no pod was ready. */
  accepted: number;
  tunnelled: number;
  noReadyPod: number;
  /** Tunnels that ended with an error (the pod went away mid-connection, the API refused). */
  errors: number;
}

export interface ServiceForward extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  stats(): ServiceForwardStats;
  /** Stops accepting, ends open tunnels; idempotent. */
  close(): Promise<void>;
}

export async function startServiceForward(_options: ServiceForwardOptions): Promise<ServiceForward> {
  throw new Error('not implemented yet');
}
