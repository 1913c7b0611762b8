import { isPlainObject, kubeTime } from './json-util.js';
import { recordKubeEvent } from './kube-events.js';
import { containersOf, type PodPhaseState, podStatus } from './pod-status.js';
import {
  deploymentStatus,
  isControlledBy,
  matchesLabels,
  newDeployment,
  podFor,
  podTemplateOf,
  REVISION,
  replicaSetFor,
  replicaSetStatus,
  type Spec,
  sameTemplate,
  selectorOf,
  withImage,
} from './rollout-objects.js';
import { runScript, type ScriptDeps, waitForObject } from './script-runner.js';
import type { ConditionInput, KubeObject, ObjectRef, ResourceDef, ScriptHandle } from './types.js';

export interface RolloutScriptOptions {
  namespace: string;
  deployment: string;
  /** The new image of `container`. */
  toImage: string;
  /** Replicas to roll out. */
  pods: number;
  /** Time between two steps (pod created, pod ready, old pod deleted, ...). */
  stepMs: number;
  /** The container whose image changes; default the template's first container. */
  container?: string;
  /** Image of the old pods when the script creates them and `setImage` is false, or of a deployment it creates. */
  fromImage?: string;
  /** Old pods to create first when the deployment has none; default `pods` (0: a fresh install scaling up). */
  oldPods?: number;
  /** 0-based index of the new pod that never becomes ready (crash-loops); the rollout stalls there and fails. */
  failAt?: number;
  /** 0-based index of a new pod that restarts once after it became ready (restartCount 1). */
  restartAt?: number;
  /** Steps the stalled pod crash-loops before the deployment reports ProgressDeadlineExceeded; default 3. */
  deadlineSteps?: number;
  /** Set `toImage` in the deployment's template at the start (default true; false when the code under test did). */
  setImage?: boolean;
  /** Start once this object satisfies `when` (checked now and on each of its writes); default: start now. */
  trigger?: { ref: ObjectRef; when: (obj: KubeObject | undefined) => boolean };
}

export interface RolloutResult {
  outcome: 'complete' | 'failed' | 'cancelled' | 'error';
  /** Pods that were there before (or seeded), in the order they are replaced. */
  oldPods: string[];
  newPods: string[];
  /** New pods that restarted (restartAt) or crash-looped (failAt). */
  restartedPods: string[];
  error?: string;
}

/**
 * Plays a Deployment's rolling update into the store, step by step, as the deployment
 * controller and kubelet would write it: a new ReplicaSet (or the old one whose template
 * matches, on a rollback), new pods created one at a time (Pending, then Ready), each old pod
 * deleted once its replacement is ready, ReplicaSet and Deployment status kept consistent, and
 * core/v1 Events. Observers see it through watches like a real rollout.
 */
export function scriptRollout(deps: ScriptDeps, options: RolloutScriptOptions): ScriptHandle<RolloutResult> {
  const { store } = deps;
  const ns = options.namespace;
  const need = (group: string, plural: string): ResourceDef => {
    const def = store.registry.byPath(group, 'v1', plural);
    if (!def) throw new Error(`fake-kube: ${plural} are not registered`);
    return def;
  };
  const depDef = need('apps', 'deployments');
  const rsDef = need('apps', 'replicasets');
  const podDef = need('', 'pods');
  const result: RolloutResult = { outcome: 'complete', oldPods: [], newPods: [], restartedPods: [] };
  const time = () => kubeTime(deps.now());

  const write = (def: ResourceDef, obj: KubeObject): KubeObject => {
    const body = { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } };
    return store.get(def, ns, obj.metadata.name ?? '')
      ? store.update(def, body, ns, { mode: 'control' })
      : store.create(def, body, ns, { mode: 'control' });
  };
  const read = (def: ResourceDef, name: string): KubeObject => {
    const obj = store.get(def, ns, name);
    if (!obj) throw new Error(`${def.kind} ${ns}/${name} is gone`);
    return obj;
  };
  const deployment = () => read(depDef, options.deployment);
  const event = (involved: KubeObject, reason: string, message: string, warning = false) =>
    recordKubeEvent(
      store,
      {
        involved,
        reason,
        message,
        type: warning ? 'Warning' : 'Normal',
        component: involved.kind === 'Pod' ? 'kubelet' : 'deployment-controller',
      },
      deps.now(),
    );
  const podsOf = (owner: KubeObject) => store.list(podDef, ns, (p) => isControlledBy(p, owner));
  const selectedPods = () => store.list(podDef, ns, (p) => matchesLabels(p, selectorOf(deployment())));
  const replicaSets = () => store.list(rsDef, ns, (rs) => isControlledBy(rs, deployment()));

  const scale = (rsName: string, replicas: number, why?: 'up' | 'down'): KubeObject => {
    const rs = read(rsDef, rsName);
    const before =
      typeof (rs.spec as Spec).replicas === 'number' ? ((rs.spec as Spec).replicas as number) : 0;
    const scaled = write(rsDef, {
      ...rs,
      spec: { ...(rs.spec as Spec), replicas },
      status: replicaSetStatus(rs, podsOf(rs)),
    });
    if (why && before !== replicas) {
      event(
        deployment(),
        'ScalingReplicaSet',
        `Scaled ${why} replica set ${rsName} from ${before} to ${replicas}`,
      );
    }
    return scaled;
  };
  const refreshStatus = (
    rs: KubeObject | undefined,
    newRs: KubeObject | undefined,
    conditions: ConditionInput[] = [],
  ) => {
    if (rs) {
      const current = read(rsDef, rs.metadata.name ?? '');
      write(rsDef, { ...current, status: replicaSetStatus(current, podsOf(current)) });
    }
    const dep = deployment();
    write(depDef, { ...dep, status: deploymentStatus(dep, selectedPods(), newRs, conditions, time()) });
  };
  const setPod = (name: string, main: string, state: PodPhaseState) => {
    const pod = read(podDef, name);
    const start =
      isPlainObject(pod.status) && typeof pod.status.startTime === 'string' ? pod.status.startTime : time();
    write(podDef, { ...pod, status: podStatus(containersOf(pod.spec), main, state, time(), start) });
  };
  const backOff = (pod: string, main: string) =>
    event(read(podDef, pod), 'BackOff', `Back-off restarting failed container ${main} in pod ${pod}`, true);

  function* steps(): Generator<number, RolloutResult> {
    if (!store.get(depDef, ns, options.deployment)) {
      const image = options.fromImage ?? `${options.deployment}:previous`;
      write(depDef, newDeployment(ns, options.deployment, options.pods, options.container ?? 'app', image));
    }
    const main = options.container ?? containersOf(podTemplateOf(deployment()).spec)[0]?.name ?? 'app';
    const seed = options.oldPods ?? options.pods;
    if (selectedPods().length === 0 && seed > 0) {
      const current = podTemplateOf(deployment());
      const oldTemplate =
        options.setImage === false
          ? withImage(current, main, options.fromImage ?? `${options.deployment}:previous`)
          : current;
      const rs = write(rsDef, replicaSetFor(deployment(), oldTemplate, 1, seed));
      for (let i = 0; i < seed; i += 1)
        write(podDef, podFor(rs, main, { kind: 'ready', restartCount: 0 }, time()));
      refreshStatus(rs, undefined);
    }
    if (options.setImage !== false) {
      write(depDef, {
        ...deployment(),
        spec: {
          ...(deployment().spec as Spec),
          template: withImage(podTemplateOf(deployment()), main, options.toImage),
        },
      });
    }
    const template = podTemplateOf(deployment());
    const existing = replicaSets();
    const revisions = existing.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0));
    const revision = Math.max(0, ...revisions) + 1;
    const reused = existing.find((rs) => sameTemplate(podTemplateOf(rs), template));
    let newRs = reused
      ? write(rsDef, {
          ...reused,
          metadata: {
            ...reused.metadata,
            annotations: { ...reused.metadata.annotations, [REVISION]: String(revision) },
          },
        })
      : write(rsDef, replicaSetFor(deployment(), template, revision, 0));
    const dep = deployment();
    write(depDef, {
      ...dep,
      metadata: {
        ...dep.metadata,
        annotations: { ...dep.metadata.annotations, [REVISION]: String(revision) },
      },
    });
    const newRsName = newRs.metadata.name ?? '';
    result.oldPods = selectedPods()
      .filter((p) => !isControlledBy(p, newRs))
      .map((p) => p.metadata.name ?? '');
    const progressing = (status: 'True' | 'False', reason: string, message: string): ConditionInput[] => [
      { type: 'Progressing', status, reason, message: `ReplicaSet "${newRsName}" ${message}` },
    ];
    refreshStatus(undefined, newRs, progressing('True', 'ReplicaSetUpdated', 'is progressing.'));
    yield options.stepMs;

    // A reused ReplicaSet (rollback to its template) may still have pods: they count as rolled out.
    const have = podsOf(newRs).length;
    for (let i = have; i < options.pods; i += 1) {
      newRs = scale(newRsName, i + 1, 'up');
      const pod = write(podDef, podFor(newRs, main, { kind: 'pending' }, time())).metadata.name ?? '';
      result.newPods.push(pod);
      refreshStatus(newRs, newRs);
      yield options.stepMs;

      if (i === options.failAt) {
        result.restartedPods.push(pod);
        for (let n = 1; n <= (options.deadlineSteps ?? 3); n += 1) {
          setPod(pod, main, { kind: 'crashing', restartCount: n });
          backOff(pod, main);
          refreshStatus(newRs, newRs);
          yield options.stepMs;
        }
        refreshStatus(
          newRs,
          newRs,
          progressing('False', 'ProgressDeadlineExceeded', 'has timed out progressing.'),
        );
        result.outcome = 'failed';
        return result;
      }
      setPod(pod, main, { kind: 'ready', restartCount: 0 });
      event(read(podDef, pod), 'Started', `Started container ${main}`);
      refreshStatus(newRs, newRs);
      yield options.stepMs;

      if (i === options.restartAt) {
        result.restartedPods.push(pod);
        setPod(pod, main, { kind: 'crashing', restartCount: 1 });
        backOff(pod, main);
        refreshStatus(newRs, newRs);
        yield options.stepMs;
        setPod(pod, main, { kind: 'ready', restartCount: 1, lastExitCode: 1 });
        refreshStatus(newRs, newRs);
        yield options.stepMs;
      }

      const old = result.oldPods[i - have];
      if (old && removeOldPod(old, main)) {
        refreshStatus(undefined, newRs);
        if (i < options.pods - 1) yield options.stepMs;
      }
    }
    for (const extra of result.oldPods.slice(Math.max(0, options.pods - have))) removeOldPod(extra, main);
    refreshStatus(newRs, newRs, [
      {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      },
      ...progressing('True', 'NewReplicaSetAvailable', 'has successfully progressed.'),
    ]);
    return result;
  }

  /** Deletes an old pod and scales its ReplicaSet down to what it has left; false if it was already gone. */
  function removeOldPod(name: string, main: string): boolean {
    const pod = store.get(podDef, ns, name);
    if (!pod) return false;
    event(pod, 'Killing', `Stopping container ${main}`);
    store.delete(podDef, ns, name);
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicaSet');
    if (owner && store.get(rsDef, ns, owner.name))
      scale(owner.name, podsOf(read(rsDef, owner.name)).length, 'down');
    return true;
  }

  const begin = (go: () => void): (() => void) => {
    if (options.trigger) return waitForObject(store, options.trigger.ref, options.trigger.when, go);
    go();
    return () => {};
  };
  return runScript(deps, begin, steps, {
    cancelled: () => ({ ...result, outcome: 'cancelled' }),
    onError: (err) => ({
      ...result,
      outcome: 'error',
      error: err instanceof Error ? err.message : String(err),
    }),
  });
}
