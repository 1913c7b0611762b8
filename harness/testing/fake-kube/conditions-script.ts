import { mergeConditions } from './conditions.js';
import { clone, deletePath, getPath, type JsonObject, kubeTime, setPath } from './json-util.js';
import { readRef, type ScriptDeps, waitForObject } from './script-runner.js';
import type { ConditionInput, KubeObject, ObjectRef, ScriptHandle } from './types.js';

export interface ConditionStep {
  /** Wait this long after the previous step (or the script's start) ... */
  afterMs: number;
  /** ... and then until the object exists and this holds (checked on each write to it). */
  when?: (obj: KubeObject) => boolean;
  /** Merged by type into the conditions list (lastTransitionTime moves only when status changes). */
  conditions?: ConditionInput[];
  /** Dotted paths to set, e.g. `{ 'status.version': '18.2.0' }`; null deletes the field. */
  fields?: Record<string, unknown>;
}

export interface ConditionsScriptOptions {
  ref: ObjectRef;
  steps: ConditionStep[];
  /** Where the conditions list lives; default 'status.conditions'. */
  conditionsPath?: string;
}

export interface ConditionsResult {
  outcome: 'complete' | 'cancelled' | 'error';
  /** How many steps were written. */
  appliedSteps: number;
  error?: string;
}

/**
 * Flips a (custom) resource's status conditions and fields over time, as its operator would:
 * each step waits `afterMs`, then for the object to exist and satisfy `when`, then writes.
 */
export function scriptConditions(
  deps: ScriptDeps,
  options: ConditionsScriptOptions,
): ScriptHandle<ConditionsResult> {
  const { store } = deps;
  const conditionsPath = (options.conditionsPath ?? 'status.conditions').split('.');
  let applied = 0;
  let finished = false;
  let cancelWait = () => {};
  let resolve: (r: ConditionsResult) => void = () => {};
  const done = new Promise<ConditionsResult>((r) => {
    resolve = r;
  });
  const finish = (outcome: ConditionsResult['outcome'], error?: string) => {
    if (finished) return;
    finished = true;
    cancelWait();
    resolve({ outcome, appliedSteps: applied, ...(error ? { error } : {}) });
  };

  const write = (step: ConditionStep) => {
    const obj = readRef(store, options.ref);
    const def = store.registry.byKind(options.ref.apiVersion, options.ref.kind);
    if (!obj || !def) throw new Error(`${options.ref.kind} ${options.ref.name} is gone`);
    const next = clone(obj) as KubeObject & JsonObject;
    delete next.metadata.resourceVersion;
    if (step.conditions && step.conditions.length > 0) {
      const merged = mergeConditions(getPath(next, conditionsPath), step.conditions, kubeTime(deps.now()), {
        ...(obj.metadata.generation !== undefined ? { observedGeneration: obj.metadata.generation } : {}),
      });
      setPath(next, conditionsPath, merged);
    }
    for (const [path, value] of Object.entries(step.fields ?? {})) {
      if (value === null) deletePath(next, path.split('.'));
      else setPath(next, path.split('.'), clone(value));
    }
    store.update(def, next, obj.metadata.namespace, { mode: 'control' });
  };

  const runStep = (index: number) => {
    const step = options.steps[index];
    if (finished) return;
    if (!step) {
      finish('complete');
      return;
    }
    cancelWait = deps.timers.timeout(() => {
      let matched = false;
      const stop = waitForObject(
        store,
        options.ref,
        (obj) => obj !== undefined && (step.when?.(obj) ?? true),
        () => {
          matched = true;
          if (finished) return;
          try {
            write(step);
          } catch (err: unknown) {
            finish('error', err instanceof Error ? err.message : String(err));
            return;
          }
          applied += 1;
          runStep(index + 1);
        },
      );
      // A synchronous match has already moved on to the next step's timer.
      if (!matched) cancelWait = stop;
    }, step.afterMs);
  };
  runStep(0);
  return { done, cancel: () => finish('cancelled') };
}
