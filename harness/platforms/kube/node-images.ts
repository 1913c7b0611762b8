import { UsageError } from '../../common/errors.js';
import type { MarkerPlatformName } from './cluster-marker.js';

export interface PinnedKubernetesVersion {
  /** The axis value that picks it: `1.33`. The full version (`1.33.1`) picks it too. */
  minor: string;
  version: string;
  /** Built for kind v0.29.0 (its release notes list these digests); kind needs the digest. */
  kind: string;
  /** k3s images are pinned by tag only (see kind-configs/README.md). */
  k3s: string;
}

/** Keep in step with kind-configs/README.md. */
export const PINNED_KUBERNETES_VERSIONS: readonly PinnedKubernetesVersion[] = [
  {
    minor: '1.33',
    version: '1.33.1',
    kind: 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f',
    k3s: 'rancher/k3s:v1.33.1-k3s1',
  },
  {
    minor: '1.32',
    version: '1.32.5',
    kind: 'kindest/node:v1.32.5@sha256:e3b2327e3a5ab8c76f5ece68936e4cafaa82edf58486b769727ab0b3b97a5b0d',
    k3s: 'rancher/k3s:v1.32.5-k3s1',
  },
  {
    minor: '1.31',
    version: '1.31.9',
    kind: 'kindest/node:v1.31.9@sha256:b94a3a6c06198d17f59cca8c6f486236fa05e2fb359cbd75dabbfc348a10b211',
    k3s: 'rancher/k3s:v1.31.9-k3s1',
  },
];

/** Used when a cell has no `kubernetesVersion` axis. */
export const DEFAULT_KUBERNETES_VERSION = '1.33';

export interface NodeImageChoice {
  /** As the axis gave it (or the default), without a leading `v`. */
  kubernetesVersion: string;
  image: string;
}

/** The scenario's `kubernetes.nodeImages`: per platform, Kubernetes version → image. */
export type NodeImageTables = Partial<Record<MarkerPlatformName, Readonly<Record<string, string>>>>;

/**
 * The node image for `platform` at `kubernetesVersion` (`1.33`, `v1.33`, `1.33.1`): the
 * scenario's table for that platform (`kubernetes.nodeImages.<platform>`) first, then the pinned
 * table (its kind column for kind, its k3s column for k3d and k3s).
 */
export function nodeImageFor(
  platform: MarkerPlatformName,
  kubernetesVersion: string | undefined,
  tables: NodeImageTables = {},
): NodeImageChoice {
  const overrides = tables[platform] ?? {};
  const wanted = (kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION).trim().replace(/^v/, '');
  const override = overrides[wanted] ?? overrides[`v${wanted}`];
  if (override) return { kubernetesVersion: wanted, image: override };
  const pinned = PINNED_KUBERNETES_VERSIONS.find((p) => p.minor === wanted || p.version === wanted);
  if (pinned) return { kubernetesVersion: wanted, image: pinned[platform === 'kind' ? 'kind' : 'k3s'] };
  const known = [
    ...Object.keys(overrides),
    ...PINNED_KUBERNETES_VERSIONS.map((p) => `${p.minor} (${p.version})`),
  ];
  const patch = wanted.split('.').length < 3 ? '.<patch>' : '';
  const example = platform === 'kind' ? '<image@sha256:digest>' : `rancher/k3s:v${wanted}${patch}-k3s1`;
  throw new UsageError(
    `kubernetesVersion ${wanted} has no ${platform} node image (known: ${known.join(', ')})`,
    `pin one under kubernetes.nodeImages.${platform} in the scenario, e.g. "${wanted}": ${example}`,
  );
}
