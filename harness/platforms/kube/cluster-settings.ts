import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../common/errors.js';
import type { PlatformCreateOptions } from '../platform.js';
import type { ClusterPlatformName } from './cluster-marker.js';
import { nodeImageFor } from './node-images.js';

/** What `create` needs from the scenario and the cell, resolved and checked. */
export interface ClusterSettings {
  /** Absolute path of the kind or k3d config file. */
  configFile: string;
  nodeImage: string;
  kubernetesVersion: string;
  preloadImages: string[];
}

/** The scenario schema's defaults, for a scenario without a `kubernetes` section. */
const DEFAULT_CONFIG: Record<ClusterPlatformName, string> = {
  kind: '../kind-configs/single-node.yaml',
  k3d: '../kind-configs/k3d-single-node.yaml',
};

/** The custom matrix axis that picks the Kubernetes version (and so the node image). */
export const KUBERNETES_VERSION_AXIS = 'kubernetes-version';

/** The settings without touching the disk (for `run --dry-run`); throws UsageError for an unknown version. */
export function plannedClusterSettings(
  platform: ClusterPlatformName,
  options: PlatformCreateOptions,
): ClusterSettings {
  const kube = options.scenario.kubernetes;
  const configured = platform === 'kind' ? kube?.kindConfig : kube?.k3dConfig;
  const configFile = resolve(options.scenarioDir, configured ?? DEFAULT_CONFIG[platform]);
  const axis = options.cell.axes[KUBERNETES_VERSION_AXIS] ?? options.cell.custom[KUBERNETES_VERSION_AXIS];
  const { image, kubernetesVersion } = nodeImageFor(platform, axis, kube?.nodeImages);
  return { configFile, nodeImage: image, kubernetesVersion, preloadImages: kube?.preloadImages ?? [] };
}

/** Throws UsageError (before anything is created) when the config file is missing or the version unknown. */
export async function clusterSettings(
  platform: ClusterPlatformName,
  options: PlatformCreateOptions,
): Promise<ClusterSettings> {
  const settings = plannedClusterSettings(platform, options);
  const { configFile } = settings;
  try {
    await access(configFile);
  } catch {
    throw new UsageError(
      `${platform} cluster config not found: ${configFile}`,
      `set kubernetes.${platform === 'kind' ? 'kindConfig' : 'k3dConfig'} in the scenario (relative to the scenario file); kind-configs/ has ready ones`,
    );
  }
  return settings;
}
