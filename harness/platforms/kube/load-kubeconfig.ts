import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, InfraError, UsageError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';
import type { KubeTarget } from '../platform.js';

/**
 * The one way to load a cell's kubeconfig into client-node: its file at its context. A parse error
 * keeps only its first line (client-node quotes the file, keys included, in the lines after),
 * redacted; an unknown context is a UsageError naming the contexts there are (never the file).
 */
export function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(target.kubeconfigPath);
  } catch (err: unknown) {
    const first = redact(errorMessage(err).split('\n')[0] ?? '');
    throw new InfraError(`cannot load the kubeconfig ${target.kubeconfigPath}: ${first}`);
  }
  if (target.context !== undefined) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UsageError(
        `the kubeconfig ${target.kubeconfigPath} has no context "${target.context}" (has: ${known.join(', ') || 'none'})`,
        'name a context the kubeconfig defines (kubectl config get-contexts)',
      );
    }
    kc.setCurrentContext(target.context);
  }
  return kc;
}
