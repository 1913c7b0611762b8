export {
  type ApiStatus,
  apiStatusOf,
  kubeConfigFor,
  type RecordedWatchEvent,
  recordWatch,
  type WatchRecorder,
} from './client-helpers.js';
export { type Condition, mergeConditions } from './conditions.js';
export type { ConditionStep, ConditionsResult, ConditionsScriptOptions } from './conditions-script.js';
export { ControlStore, type ListQuery } from './control-store.js';
export type { DeploymentControllerOptions } from './deployment-controller.js';
export {
  type ControllerRollout,
  FakeKube,
  type FakeKubeOptions,
  type KubeconfigOptions,
} from './fake-kube.js';
export type { FaultRule } from './http-server.js';
export type { KubeEventInput } from './kube-events.js';
export { type JsonPatchOperation, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
export { isPodReady } from './pod-status.js';
export {
  PORT_FORWARD_PROTOCOL,
  type PortForwardResolver,
  type PortForwardTarget,
} from './port-forward-server.js';
export { apiVersionOf, splitApiVersion } from './resource-registry.js';
export type { RolloutResult, RolloutScriptOptions } from './rollout-script.js';
export { parseFieldSelector, parseLabelSelector } from './selectors.js';
export { type KubeStatus, KubeStatusError } from './status-error.js';
export type {
  ConditionInput,
  KubeObject,
  ManagedFieldsEntry,
  ObjectMeta,
  ObjectRef,
  OwnerReference,
  RegisterResourceOptions,
  RequestEvent,
  ResourceDef,
  ScriptHandle,
  StoreEvent,
  WatchEventType,
} from './types.js';
