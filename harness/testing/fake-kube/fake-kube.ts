import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../common/exec.js';
import {
  type ConditionsResult,
  type ConditionsScriptOptions,
  scriptConditions,
} from './conditions-script.js';
import { ControlStore } from './control-store.js';
import { crdFor, startCrdController, startNamespaceController } from './controllers.js';
import { type DeploymentControllerOptions, startDeploymentController } from './deployment-controller.js';
import { type FaultRule, KubeHttpServer } from './http-server.js';
import { type KubeEventInput, recordKubeEvent } from './kube-events.js';
import { ObjectStore } from './object-store.js';
import type { PodLogOptions } from './pod-logs.js';
import { type PortForwardResolver, PortForwardServer } from './port-forward-server.js';
import { CRD_GROUP, ResourceRegistry } from './resource-registry.js';
import { type RolloutResult, type RolloutScriptOptions, scriptRollout } from './rollout-script.js';
import type { ScriptDeps } from './script-runner.js';
import { TimerSet } from './timer-set.js';
import type {
  KubeObject,
  RegisterResourceOptions,
  RequestEvent,
  ResourceDef,
  ScriptHandle,
} from './types.js';

export interface FakeKubeOptions {
  /** Bearer token the server accepts; default random. */
  token?: string;
  /** Writes kept for watches to resume from (older resourceVersions get 410); default 1000. */
  historyLimit?: number;
  /** BOOKMARK interval for watches with allowWatchBookmarks; default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** How long a deleted namespace stays Terminating before its contents go; default 0 (at once). */
  namespaceTerminationMs?: number;
  /** Namespaces that exist at start; default default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Creating in a missing namespace is a 404, as on a real cluster; default true. */
  requireNamespaces?: boolean;
  /** Reported by /version; default v1.32.0. */
  kubernetesVersion?: string;
  /** Namespace of the kubeconfig's context; default 'default'. */
  contextNamespace?: string;
  /** Where the kubeconfig file goes (a temp folder inside it, removed on close); default the OS temp dir. */
  tmpDir?: string;
  /** Requests kept by events(); default 10000. */
  maxRequestLog?: number;
  /**
   * Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (made by `openssl`), trusted by
   * the kubeconfig through certificate-authority-data. Go clients (kubectl, helm) send bearer
   * tokens only over TLS. Default false (plain HTTP, insecure-skip-tls-verify).
   */
  tls?: boolean;
  /** Accept requests without an Authorization header (a wrong token is still a 401); default false. */
  allowAnonymous?: boolean;
  /**
   * Play a rollout whenever a Deployment is created or its pod template changes, as the real
   * deployment controller would (so `helm --wait` and rollout observers see pods come and go).
   * Off by default: tests script rollouts themselves.
   */
  deploymentController?: DeploymentControllerOptions;
}

/** A rollout the deployment controller started. */
export interface ControllerRollout {
  /** `namespace/name`. */
  deployment: string;
  toImage: string;
  done: Promise<RolloutResult>;
}

export interface KubeconfigOptions {
  token?: string;
  namespace?: string;
}

/**
 * A Kubernetes API server on 127.0.0.1 for tests: real HTTP, JSON, Status errors, discovery,
 * watches with resourceVersions, and a control API to seed state and script a moving cluster.
 * Use `await using kube = await FakeKube.start()` or call close().
 */
export class FakeKube implements AsyncDisposable {
  readonly store: ControlStore;
  private readonly scripts = new Set<ScriptHandle<unknown>>();
  private readonly stopControllers: (() => void)[] = [];
  private readonly controllerRollouts: ControllerRollout[] = [];
  private closed = false;

  private constructor(
    private readonly server: KubeHttpServer,
    private readonly objects: ObjectStore,
    private readonly timers: TimerSet,
    private readonly options: FakeKubeOptions,
    readonly token: string,
    readonly kubeconfigPath: string,
    private readonly tmpFolder: string,
    private readonly portForward: PortForwardServer,
    /** The server's self-signed certificate (PEM) when started with `tls`. */
    readonly caCertPem?: string,
  ) {
    this.store = new ControlStore(objects);
  }

  static async start(options: FakeKubeOptions = {}): Promise<FakeKube> {
    const registry = new ResourceRegistry();
    const timers = new TimerSet();
    const now = () => Date.now();
    const objects = new ObjectStore(registry, {
      historyLimit: options.historyLimit ?? 1000,
      now,
      requireNamespaces: options.requireNamespaces ?? true,
    });
    const stops = [
      startNamespaceController(objects, timers, options.namespaceTerminationMs ?? 0),
      startCrdController(objects),
    ];
    const control = new ControlStore(objects);
    for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      control.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      });
    }
    const token = options.token ?? randomBytes(16).toString('hex');
    const folder = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'fake-kube-'));
    const tls = options.tls ? await selfSignedCertificate(folder) : undefined;
    const portForward = new PortForwardServer(objects);
    const server = await KubeHttpServer.listen({
      token,
      store: objects,
      registry,
      timers,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
      kubernetesVersion: options.kubernetesVersion ?? 'v1.32.0',
      maxBodyBytes: 16 * 1024 * 1024,
      maxRequestLog: options.maxRequestLog ?? 10_000,
      now,
      allowAnonymous: options.allowAnonymous ?? false,
      portForward,
      ...(tls ? { tls } : {}),
    });
    const path = join(folder, 'kubeconfig');
    const kube = new FakeKube(server, objects, timers, options, token, path, folder, portForward, tls?.cert);
    kube.stopControllers.push(...stops);
    if (options.deploymentController) {
      const stop = startDeploymentController(kube.deps(), options.deploymentController, (dep, handle) => {
        kube.track(handle);
        const containers = (
          dep.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined
        )?.template?.spec?.containers;
        kube.controllerRollouts.push({
          deployment: `${dep.metadata.namespace ?? ''}/${dep.metadata.name ?? ''}`,
          toImage: containers?.[0]?.image ?? '',
          done: handle.done,
        });
      });
      kube.stopControllers.push(stop);
    }
    await writeFile(path, kube.kubeconfigYamlFor(), { mode: 0o600 });
    return kube;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return this.server.url;
  }

  /** A kubeconfig for this server (context `fake-kube`, the bearer token; insecure unless `tls`). */
  get kubeconfigYaml(): string {
    return this.kubeconfigYamlFor();
  }

  /** The same kubeconfig with another token (e.g. a wrong one) or context namespace. */
  kubeconfigYamlFor(options: KubeconfigOptions = {}): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake-kube',
          cluster: this.caCertPem
            ? {
                server: this.url,
                'certificate-authority-data': Buffer.from(this.caCertPem).toString('base64'),
              }
            : { server: this.url, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'fake-kube', user: { token: options.token ?? this.token } }],
      contexts: [
        {
          name: 'fake-kube',
          context: {
            cluster: 'fake-kube',
            user: 'fake-kube',
            namespace: options.namespace ?? this.options.contextNamespace ?? 'default',
          },
        },
      ],
      'current-context': 'fake-kube',
    });
  }

  /** Serves a custom resource (and creates its CustomResourceDefinition object, like `kubectl apply -f crd.yaml`). */
  registerResource(options: RegisterResourceOptions): ResourceDef {
    const def = this.objects.registry.register(options);
    if (!def.builtIn) {
      const crdRef = {
        apiVersion: `${CRD_GROUP}/v1`,
        kind: 'CustomResourceDefinition',
        name: `${options.plural}.${options.group}`,
      };
      this.store.put(crdFor(options, this.store.get(crdRef)));
    }
    return this.objects.registry.byPath(def.group, def.version, def.plural) ?? def;
  }

  /** Requests served so far (method, path, query, contentType, parsed body, status), oldest first. */
  events(): RequestEvent[] {
    return [...this.server.requests];
  }

  /** Answers the next matching request(s) with an error Status instead of serving them. */
  injectFault(rule: FaultRule): void {
    this.server.addFault(rule);
  }

  /** Writes a core/v1 Event about an object, as a controller would. */
  recordEvent(input: KubeEventInput): KubeObject {
    return recordKubeEvent(this.objects, input, Date.now());
  }

  /** Sets what `GET .../pods/{pod}/log?container=` answers (tailLines, limitBytes and previous apply). */
  setPodLog(namespace: string, pod: string, container: string, text: string, options?: PodLogOptions): void {
    this.server.podLogs.set(namespace, pod, container, text, options);
  }

  /** Plays a Deployment rollout (see RolloutScriptOptions); close() cancels it. */
  scriptRollout(options: RolloutScriptOptions): ScriptHandle<RolloutResult> {
    return this.track(scriptRollout(this.deps(), options));
  }

  /** Flips a resource's status conditions/fields over time (see ConditionsScriptOptions); close() cancels it. */
  scriptConditions(options: ConditionsScriptOptions): ScriptHandle<ConditionsResult> {
    return this.track(scriptConditions(this.deps(), options));
  }

  /** Rollouts the deployment controller (option `deploymentController`) started, oldest first. */
  rollouts(): ControllerRollout[] {
    return [...this.controllerRollouts];
  }

  /**
   * Where pods' ports lead for pods/portforward (WebSocket, v4.channel.k8s.io): a real TCP address
   * per (pod, port), or undefined when nothing listens there (the forward then fails on the error
   * channel, as the kubelet reports a refused connection). Default: nothing listens anywhere.
   * Tunnels of a pod that is deleted or stops Running end with an error, as the kubelet ends them.
   */
  setPortForwardTarget(resolver: PortForwardResolver): void {
    this.portForward.setResolver(resolver);
  }

  /** Port-forward tunnels open now, and opened since start. */
  portForwardTunnels(): { open: number; opened: number } {
    return this.portForward.counts();
  }

  /** What store listeners (controllers, scripts) threw; empty when all is well. */
  listenerErrors(): unknown[] {
    return [...this.objects.listenerErrors];
  }

  /** Cancels scripts, clears every timer, ends watches, destroys sockets, removes the kubeconfig. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const script of this.scripts) script.cancel();
    for (const stop of this.stopControllers) stop();
    this.timers.clearAll();
    this.portForward.close();
    await this.server.close();
    await rm(this.tmpFolder, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private deps(): ScriptDeps {
    if (this.closed) throw new Error('fake-kube: closed');
    return { store: this.objects, timers: this.timers, now: () => Date.now() };
  }

  private track<T>(handle: ScriptHandle<T>): ScriptHandle<T> {
    this.scripts.add(handle as ScriptHandle<unknown>);
    void handle.done.then(() => this.scripts.delete(handle as ScriptHandle<unknown>));
    return handle;
  }
}

/** A key and self-signed certificate for 127.0.0.1 (and localhost), valid for a day. */
async function selfSignedCertificate(folder: string): Promise<{ key: string; cert: string }> {
  const keyPath = join(folder, 'server.key');
  const certPath = join(folder, 'server.crt');
  // biome-ignore format: one option per line reads better
  await runCommand([
    'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=fake-kube',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { timeoutMs: 30_000 });
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}
