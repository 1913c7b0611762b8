import type { RegisterResourceOptions, ResourceDef } from './types.js';

type BuiltIn = [
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  status: boolean,
  short?: string[],
];

/** Kinds a cluster always has; enough for Helm charts and operators to find their resources. */
const BUILT_IN: BuiltIn[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, true, ['ns']],
  ['', 'v1', 'Node', 'nodes', false, true, ['no']],
  ['', 'v1', 'Pod', 'pods', true, true, ['po']],
  ['', 'v1', 'Service', 'services', true, true, ['svc']],
  ['', 'v1', 'Event', 'events', true, false, ['ev']],
  ['', 'v1', 'ConfigMap', 'configmaps', true, false, ['cm']],
  ['', 'v1', 'Secret', 'secrets', true, false],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, false, ['sa']],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, true, ['pvc']],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false, true, ['pv']],
  ['', 'v1', 'Endpoints', 'endpoints', true, false, ['ep']],
  ['apps', 'v1', 'Deployment', 'deployments', true, true, ['deploy']],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, true, ['sts']],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, true, ['rs']],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, true, ['ds']],
  ['batch', 'v1', 'Job', 'jobs', true, true],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, true, ['cj']],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, true, ['ing']],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, false, ['netpol']],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, true, ['pdb']],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, true, ['hpa']],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, false],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, false],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true, false],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, false, ['sc']],
  [
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    true,
    ['crd', 'crds'],
  ],
];

export const CRD_GROUP = 'apiextensions.k8s.io';

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Objects of one resource share storage across versions (conversion strategy None). */
export function storageKey(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return `${def.group}/${def.plural}`;
}

/** The resources the fake serves, built in plus registered at runtime (CRDs). */
export class ResourceRegistry {
  private readonly defs: ResourceDef[] = [];

  constructor() {
    for (const [group, version, kind, plural, namespaced, statusSubresource, shortNames] of BUILT_IN) {
      this.register({
        group,
        version,
        kind,
        plural,
        namespaced,
        statusSubresource,
        shortNames: shortNames ?? [],
      });
    }
  }

  /** Adds or replaces the resource at group/version/plural. */
  register(options: RegisterResourceOptions): ResourceDef {
    const def: ResourceDef = {
      group: options.group,
      version: options.version,
      kind: options.kind,
      plural: options.plural,
      singular: options.singular ?? options.kind.toLowerCase(),
      namespaced: options.namespaced,
      statusSubresource: options.statusSubresource ?? true,
      shortNames: options.shortNames ?? [],
      builtIn: BUILT_IN.some(([group, , , plural]) => group === options.group && plural === options.plural),
    };
    const existing = this.defs.findIndex(
      (d) => d.group === def.group && d.version === def.version && d.plural === def.plural,
    );
    if (existing >= 0) this.defs[existing] = def;
    else this.defs.push(def);
    return def;
  }

  /** Removes every version of group/plural. */
  unregister(group: string, plural: string): void {
    for (let i = this.defs.length - 1; i >= 0; i -= 1) {
      const def = this.defs[i];
      if (def && def.group === group && def.plural === plural) this.defs.splice(i, 1);
    }
  }

  byPath(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.version === version && d.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.defs.find((d) => d.group === group && d.version === version && d.kind === kind);
  }

  /** Like byKind but throws a readable error (for the test control API). */
  require(apiVersion: string, kind: string): ResourceDef {
    const def = this.byKind(apiVersion, kind);
    if (!def) throw new Error(`fake-kube: unknown resource ${apiVersion} ${kind} (register it first)`);
    return def;
  }

  /** Any served version of the resource stored under `group/plural`. */
  byStorageKey(key: string): ResourceDef | undefined {
    return this.defs.find((d) => storageKey(d) === key);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.defs.some((d) => d.group === group && d.version === version);
  }

  /** Named groups (not core) with their versions, in registration order. */
  groups(): { name: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const def of this.defs) {
      if (!def.group) continue;
      const versions = out.get(def.group) ?? [];
      if (!versions.includes(def.version)) versions.push(def.version);
      out.set(def.group, versions);
    }
    return [...out].map(([name, versions]) => ({ name, versions }));
  }

  resourcesOf(group: string, version: string): ResourceDef[] {
    return this.defs.filter((d) => d.group === group && d.version === version);
  }
}
