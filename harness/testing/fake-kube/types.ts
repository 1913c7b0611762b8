/** The parts of Kubernetes object metadata the fake reads or writes; anything else passes through. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Names one object for the test control API (apiVersion + kind resolve the resource). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Omit for cluster-scoped kinds. */
  namespace?: string;
}

/** A resource the fake serves, per group/version (as in discovery). */
export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The resource name in paths, e.g. 'deployments'. */
  plural: string;
  singular: string;
  namespaced: boolean;
  /** Whether `<name>/status` exists; writes to the main resource then keep the stored status. */
  statusSubresource: boolean;
  shortNames: string[];
  /** False for custom resources: they take no strategic merge patch (415, as on a real cluster). */
  builtIn: boolean;
}

export interface RegisterResourceOptions {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  singular?: string;
  /** Default true. */
  statusSubresource?: boolean;
  shortNames?: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One write, as kept in the bounded history that watches replay. Objects are never mutated. */
export interface StoreEvent {
  type: WatchEventType;
  /** The resourceVersion this write produced. */
  rv: number;
  /** `group/plural`: objects are stored once per resource whatever version wrote them. */
  storageKey: string;
  object: KubeObject;
  /** The object before a MODIFIED write (to turn selector exits into DELETED). */
  previous?: KubeObject;
}

/** One HTTP request the fake answered, for assertions. */
export interface RequestEvent {
  method: string;
  /** Decoded path without the query. */
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** Parsed request body (JSON or YAML), when there was one. */
  body?: unknown;
  status: number;
  /** Epoch ms when the request arrived. */
  at: number;
}

/** What a script returns: its result once finished, and a way to stop it early. */
export interface ScriptHandle<T> {
  readonly done: Promise<T>;
  cancel(): void;
}

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}
