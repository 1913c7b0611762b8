import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import type { StrategyName, StrategyOptions } from '../../config/types.js';
import type { Replica, ReplicaSet } from './replica-set.js';

/**
 * Moves a replica set to `target` with a deployment strategy, the way Kubernetes Deployments do.
 * Works from any starting state, so a rollback after a half-done rollout is the same call.
 */
export async function rollout(
  set: ReplicaSet,
  target: string,
  strategy: StrategyName,
  options: StrategyOptions,
  ctx: RunContext,
): Promise<void> {
  switch (strategy) {
    case 'recreate':
      return recreate(set, target, ctx);
    case 'blue-green':
      return blueGreen(set, target, ctx);
    case 'rolling':
      return rolling(set, target, options.rolling, ctx);
  }
}

const stale = (set: ReplicaSet, target: string) => set.replicas.filter((r) => r.version !== target);
const fresh = (set: ReplicaSet, target: string) => set.replicas.filter((r) => r.version === target);

async function startMany(
  set: ReplicaSet,
  version: string,
  count: number,
  ctx: RunContext,
): Promise<Replica[]> {
  return Promise.all(Array.from({ length: count }, () => set.start(version, ctx)));
}

async function recreate(set: ReplicaSet, target: string, ctx: RunContext): Promise<void> {
  await Promise.all(stale(set, target).map((r) => set.stop(r, ctx)));
  const missing = set.desired - fresh(set, target).length;
  await startMany(set, target, Math.max(0, missing), ctx);
  await Promise.all(fresh(set, target).map((r) => r.whenReady));
}

/**
 * Brings up a full standby set of `target` that gets no traffic; only when all of it is ready does
 * it go into rotation, and the old set is drained right after (both serve for about one probe).
 */
async function blueGreen(set: ReplicaSet, target: string, ctx: RunContext): Promise<void> {
  const missing = set.desired - fresh(set, target).length;
  const green = await Promise.all(
    Array.from({ length: Math.max(0, missing) }, () => set.start(target, ctx, { standby: true })),
  );
  // A green set that never gets ready never receives the switch: the old set keeps serving.
  await Promise.all(green.map((r) => r.whenReady));
  await Promise.all(green.map((r) => set.activate(r, ctx)));
  await Promise.all(stale(set, target).map((r) => set.stop(r, ctx)));
}

async function rolling(
  set: ReplicaSet,
  target: string,
  { maxSurge, maxUnavailable }: StrategyOptions['rolling'],
  ctx: RunContext,
): Promise<void> {
  if (maxSurge === 0 && maxUnavailable === 0) {
    throw new UsageError('rolling strategy: maxSurge and maxUnavailable cannot both be 0');
  }
  const desired = set.desired;
  for (;;) {
    ctx.signal.throwIfAborted();
    // Old replicas that are not serving cost no availability: remove them first.
    await Promise.all(
      stale(set, target)
        .filter((r) => !r.ready)
        .map((r) => set.stop(r, ctx)),
    );
    const oldOnes = stale(set, target);
    const newOnes = fresh(set, target);
    if (oldOnes.length === 0 && newOnes.length >= desired && newOnes.every((r) => r.ready)) return;

    const toStart = Math.max(0, Math.min(desired - newOnes.length, desired + maxSurge - set.replicas.length));
    await startMany(set, target, toStart, ctx);

    const readyCount = set.replicas.filter((r) => r.ready).length;
    const removable = Math.max(0, Math.min(oldOnes.length, readyCount - (desired - maxUnavailable)));
    await Promise.all(oldOnes.slice(0, removable).map((r) => set.stop(r, ctx)));

    if (toStart === 0 && removable === 0) {
      const waiting = fresh(set, target).filter((r) => !r.ready);
      if (waiting.length === 0) throw new Error(`rollout to ${target} made no progress (internal error)`);
      // Throws ProductError when a new replica never becomes ready: the rollout has failed.
      await Promise.race(waiting.map((r) => r.whenReady));
    }
  }
}
