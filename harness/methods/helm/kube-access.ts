import type { StartedPlatform } from '../../platforms/platform.js';

/**
 * What a Kubernetes platform (kind, k3d, an existing cluster) offers the helm method: a kubeconfig
 * for the cluster and, optionally, the namespace it has set aside for a cell.
 */
export interface KubeAccess {
  readonly kubeconfigPath: string;
  /** The namespace the platform gives a cell (an existing cluster with its own naming). */
  namespaceFor?(cellId: string): string;
}

export function hasKubeAccess(platform: StartedPlatform): platform is StartedPlatform & KubeAccess {
  const candidate = platform as Partial<KubeAccess>;
  return typeof candidate.kubeconfigPath === 'string' && candidate.kubeconfigPath.length > 0;
}
