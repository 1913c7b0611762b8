import type { KubeTarget, StartedPlatform } from '../../platforms/platform.js';
import { defaultNamespace } from './helm-commands.js';

/**
 * How a method that installs into Kubernetes (helm, operator) reaches a cell's cluster, from the
 * platform's `kube()`: the kubeconfig, its context, and the namespace to install into.
 */
export interface KubeAccess {
  readonly kubeconfigPath: string;
  /** The kubeconfig context; undefined: its current-context. Commands get `--kube-context` when it is set. */
  readonly context: string | undefined;
  /** The platform's namespace for the cell (an existing cluster), else the method's own `uh-<hash>`. */
  readonly namespace: string;
  /**
   * True when the namespace is the platform's: the platform creates and deletes it, so the method
   * must neither create nor delete it. False: the method makes its own (and a kind/k3d/k3s
   * cluster goes as a whole at teardown).
   */
  readonly platformNamespace: boolean;
  readonly target: KubeTarget;
}

/**
 * The platform's cluster access for one cell, or undefined when the platform is not Kubernetes
 * (local, an existing deployment known by URLs only).
 */
export function hasKubeAccess(
  platform: StartedPlatform,
  cell: { readonly runId: string; readonly cellId: string },
): KubeAccess | undefined {
  const target = platform.kube?.();
  if (!target?.kubeconfigPath) return undefined;
  return {
    kubeconfigPath: target.kubeconfigPath,
    context: target.context,
    namespace: target.namespace ?? defaultNamespace(cell.runId, cell.cellId),
    platformNamespace: target.namespace !== undefined,
    target,
  };
}
