import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, UsageError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';

/**
 * The kubeconfig kubectl would use: the first file of `$KUBECONFIG` that exists (kubectl merges
 * them; the harness passes one path on, so it takes the first), else `~/.kube/config`. Only the
 * CLI calls it, with its environment.
 */
export function defaultKubeconfigPath(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
  exists: (path: string) => boolean = existsSync,
): string {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.trim() !== '');
  return listed.find(exists) ?? listed[0] ?? join(homeDir, '.kube', 'config');
}

/** A kubeconfig loaded for one context. Holds credentials: never log or report it, only the path and names. */
export interface LoadedKubeconfig {
  kc: KubeConfig;
  path: string;
  /** The context in use (the given one, else the file's current-context). */
  context: string;
  /** `host:port` of the context's API server, without user or path. */
  serverHost: string;
}

/**
 * Loads `path` and selects `context` (default: its current-context); `fields` name the settings for hints. Every problem is a
 * UsageError naming the file and, for a missing context, the contexts it has; never the file's
 * contents (client-node's parse errors quote it, so only their first line is kept).
 */
export function loadKubeconfig(
  path: string,
  context: string | undefined,
  fields: { kubeconfig: string; context: string },
): LoadedKubeconfig {
  const hint = `set ${fields.kubeconfig} (a kubeconfig file) or KUBECONFIG`;
  if (!existsSync(path)) throw new UsageError(`kubeconfig not found: ${path}`, hint);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    const first = redact(errorMessage(err).split('\n')[0] ?? '');
    throw new UsageError(`kubeconfig ${path} cannot be read: ${first}`, hint);
  }
  const names = kc.getContexts().map((c) => c.name);
  const wanted = context ?? kc.getCurrentContext();
  if (!wanted) {
    throw new UsageError(
      `kubeconfig ${path} has no current-context (contexts: ${names.join(', ') || 'none'})`,
      `name one with ${fields.context}`,
    );
  }
  if (!names.includes(wanted)) {
    throw new UsageError(
      `context "${wanted}" is not in kubeconfig ${path} (contexts: ${names.join(', ') || 'none'})`,
      `set ${fields.context} to one of them`,
    );
  }
  kc.setCurrentContext(wanted);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new UsageError(`context "${wanted}" in kubeconfig ${path} names no cluster with a server`, hint);
  }
  return { kc, path, context: wanted, serverHost: hostOf(cluster.server) };
}

/** `host:port` of an API server URL; never its user info. */
export function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return '(not a URL)';
  }
}
