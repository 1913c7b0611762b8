import type { ObjectStore } from './object-store.js';
import { storageKey } from './resource-registry.js';
import type { TimerSet } from './timer-set.js';
import type { KubeObject, ObjectRef, ScriptHandle } from './types.js';

export interface ScriptDeps {
  store: ObjectStore;
  timers: TimerSet;
  now: () => number;
}

/** The current object at `ref`, or undefined (also when its kind is not served). */
export function readRef(store: ObjectStore, ref: ObjectRef): KubeObject | undefined {
  const def = store.registry.byKind(ref.apiVersion, ref.kind);
  return def ? store.get(def, ref.namespace, ref.name) : undefined;
}

/**
 * Calls `onMatch` once `when(object at ref)` holds: checked now and after every write to that
 * object (or, while its kind is unknown, after every write). Returns a cancel function.
 */
export function waitForObject(
  store: ObjectStore,
  ref: ObjectRef,
  when: (obj: KubeObject | undefined) => boolean,
  onMatch: () => void,
): () => void {
  let done = false;
  let unsubscribe = () => {};
  const check = () => {
    if (done || !when(readRef(store, ref))) return;
    done = true;
    unsubscribe();
    onMatch();
  };
  unsubscribe = store.subscribe((event) => {
    const def = store.registry.byKind(ref.apiVersion, ref.kind);
    const meta = event.object.metadata;
    const relevant =
      !def ||
      (event.storageKey === storageKey(def) &&
        meta.name === ref.name &&
        (!def.namespaced || meta.namespace === ref.namespace));
    if (relevant) check();
  });
  check();
  return () => {
    done = true;
    unsubscribe();
  };
}

/**
 * Runs a script written as a generator: each `yield ms` waits that long before the next step;
 * the generator's return value resolves `done`. A step that throws ends the script with
 * `onError`'s value. `cancel()` (also from close()) stops it and resolves `done` with `cancelled`.
 */
export function runScript<T>(
  deps: ScriptDeps,
  start: (begin: () => void) => () => void,
  steps: () => Generator<number, T>,
  results: { cancelled: () => T; onError: (err: unknown) => T },
): ScriptHandle<T> {
  let resolve: (value: T) => void = () => {};
  const done = new Promise<T>((r) => {
    resolve = r;
  });
  let finished = false;
  let cancelTimer = () => {};
  let generator: Generator<number, T> | undefined;
  const finish = (value: T) => {
    if (finished) return;
    finished = true;
    cancelTimer();
    resolve(value);
  };
  const tick = () => {
    if (finished || !generator) return;
    let next: IteratorResult<number, T>;
    try {
      next = generator.next();
    } catch (err: unknown) {
      finish(results.onError(err));
      return;
    }
    if (next.done) finish(next.value);
    else cancelTimer = deps.timers.timeout(tick, Math.max(0, next.value));
  };
  const stopWaiting = start(() => {
    if (finished) return;
    generator = steps();
    tick();
  });
  return {
    done,
    cancel: () => {
      stopWaiting();
      finish(results.cancelled());
    },
  };
}
