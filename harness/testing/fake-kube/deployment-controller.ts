import { deepEqual, isPlainObject } from './json-util.js';
import { containersOf } from './pod-status.js';
import { podTemplateOf } from './rollout-objects.js';
import { type RolloutResult, scriptRollout } from './rollout-script.js';
import type { ScriptDeps } from './script-runner.js';
import type { KubeObject, ScriptHandle, StoreEvent } from './types.js';

export interface DeploymentControllerOptions {
  /** Step of each rollout it plays (see RolloutScriptOptions.stepMs). */
  stepMs: number;
  /** Images whose pods never become ready: their rollout stalls (a `helm --wait` times out). */
  failingImages?: string[];
  /** Steps a failing pod crash-loops before ProgressDeadlineExceeded; default 3. */
  deadlineSteps?: number;
  /** Images with a known defect: the rollout's first new pod restarts once after it became ready. */
  restartingImages?: string[];
}

const DEPLOYMENTS = 'apps/deployments';

function templateChanged(event: StoreEvent): boolean {
  if (event.type === 'ADDED') return true;
  if (event.type !== 'MODIFIED' || !event.previous) return false;
  return !deepEqual(podTemplateOf(event.previous), podTemplateOf(event.object));
}

/**
 * A stand-in for the deployment controller: whenever a Deployment is created or its pod template
 * changes (by anyone: helm, kubectl, the code under test), it plays a rollout to that template
 * (a fresh install scales up from zero), cancelling one still in progress for that Deployment.
 * `onRollout` receives each rollout's handle (FakeKube tracks them for close()).
 */
export function startDeploymentController(
  deps: ScriptDeps,
  options: DeploymentControllerOptions,
  onRollout: (deployment: KubeObject, handle: ScriptHandle<RolloutResult>) => void,
): () => void {
  const active = new Map<string, ScriptHandle<RolloutResult>>();
  const unsubscribe = deps.store.subscribe((event) => {
    if (event.storageKey !== DEPLOYMENTS) return;
    const dep = event.object;
    const key = `${dep.metadata.namespace ?? ''}/${dep.metadata.name ?? ''}`;
    if (event.type === 'DELETED') {
      active.get(key)?.cancel();
      active.delete(key);
      return;
    }
    if (!templateChanged(event)) return;
    active.get(key)?.cancel();
    const containers = containersOf(podTemplateOf(dep).spec);
    const main = containers[0];
    if (!main) return;
    const spec = isPlainObject(dep.spec) ? dep.spec : {};
    const failing = containers.some((c) => options.failingImages?.includes(c.image));
    const restarting = containers.some((c) => options.restartingImages?.includes(c.image));
    const handle = scriptRollout(deps, {
      namespace: dep.metadata.namespace ?? 'default',
      deployment: dep.metadata.name ?? '',
      toImage: main.image,
      container: main.name,
      pods: typeof spec.replicas === 'number' ? spec.replicas : 1,
      stepMs: options.stepMs,
      setImage: false,
      oldPods: 0,
      ...(failing ? { failAt: 0 } : {}),
      ...(restarting && !failing ? { restartAt: 0 } : {}),
      ...(options.deadlineSteps !== undefined ? { deadlineSteps: options.deadlineSteps } : {}),
    });
    active.set(key, handle);
    void handle.done.then(() => {
      if (active.get(key) === handle) active.delete(key);
    });
    onRollout(dep, handle);
  });
  return () => {
    unsubscribe();
    for (const handle of active.values()) handle.cancel();
    active.clear();
  };
}
