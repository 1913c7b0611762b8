import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s';
import { getContainerRuntimeClient } from 'testcontainers';
import { AbortedError, errorMessage, InfraError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';

/** Docker labels on a k3s container: who made it (read by `gc`), as k3d's are. */
export const K3S_LABEL_PREFIX = 'upgrade-harness.';
/** Tells a k3s platform container from a k3d node, which carries the other labels too. */
export const K3S_PLATFORM_LABEL = `${K3S_LABEL_PREFIX}platform=k3s`;

const NO_RUNTIME = /Could not find a working container runtime strategy/i;

export const RUNTIME_HINT =
  'the k3s platform runs k3s in a container through testcontainers: it needs a Docker daemon (or Podman with its Docker socket) reachable at DOCKER_HOST or /var/run/docker.sock; `upgrade-harness doctor` shows what this machine has';

/** The error for a failed container call: no runtime at all gets the hint, anything else its first line. */
export function containerFailure(what: string, err: unknown): Error {
  if (err instanceof AbortedError) return err;
  const message = redact(errorMessage(err).split('\n')[0] ?? '');
  if (NO_RUNTIME.test(message)) {
    return new InfraError(`${what}: no container runtime (${message})`, { cause: err, hint: RUNTIME_HINT });
  }
  return new InfraError(`${what} failed: ${message}`, { cause: err });
}

export interface K3sStartOptions {
  name: string;
  image: string;
  /** Without the prefix: run, cell, host, pid, created (and `platform=k3s`, added). */
  labels: Record<string, string>;
}

/** The container testcontainers would start (privileged, the k3s server, API port 6443 mapped). */
export function k3sContainer(options: K3sStartOptions): K3sContainer {
  const labels = Object.fromEntries(
    Object.entries({ ...options.labels, platform: 'k3s' }).map(([k, v]) => [`${K3S_LABEL_PREFIX}${k}`, v]),
  );
  return new K3sContainer(options.image).withName(options.name).withLabels(labels);
}

/**
 * Starts the k3s container; the promise is the container's, so a caller that stops waiting (an
 * interrupt) can still stop what it eventually starts.
 */
export function startK3s(options: K3sStartOptions): Promise<StartedK3sContainer> {
  return k3sContainer(options).start();
}

/** A k3s container the harness made, as `gc` sees it. */
export interface K3sContainerInfo {
  id: string;
  name: string;
  /** Our labels without the prefix. */
  labels: Record<string, string>;
}

/** Lists and removes the harness's k3s containers; the container engine is the only thing it talks to. */
export interface K3sContainers {
  /** Containers with our labels (running or not); undefined when there is no container runtime. */
  list(): Promise<K3sContainerInfo[] | undefined>;
  remove(id: string): Promise<void>;
}

/** The container engine testcontainers finds (DOCKER_HOST, the Docker socket, ~/.testcontainers.properties). */
export function runtimeK3sContainers(): K3sContainers {
  return {
    async list() {
      let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
      try {
        client = await getContainerRuntimeClient();
      } catch (err) {
        if (NO_RUNTIME.test(errorMessage(err))) return undefined;
        throw containerFailure('connecting to the container runtime', err);
      }
      const listed = await client.container.dockerode.listContainers({
        all: true,
        filters: { label: [K3S_PLATFORM_LABEL] },
      });
      return listed.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        labels: Object.fromEntries(
          Object.entries(c.Labels ?? {})
            .filter(([k]) => k.startsWith(K3S_LABEL_PREFIX))
            .map(([k, v]) => [k.slice(K3S_LABEL_PREFIX.length), v]),
        ),
      }));
    },
    async remove(id) {
      const client = await getContainerRuntimeClient();
      await client.container.dockerode.getContainer(id).remove({ force: true, v: true });
    },
  };
}
