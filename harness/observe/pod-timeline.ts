import type { KubeItem } from './list-watch.js';

/** The controller that owns a pod, as its ownerReferences say. */
export interface PodOwner {
  kind: string;
  name: string;
}

interface PodEventBase {
  /** Epoch ms from the observer's clock, when the observer saw it. */
  at: number;
  pod: string;
  /** `Deployment/web`, `StatefulSet/db`, `ReplicaSet/x`, or `Pod/<name>` for a pod without owner. */
  workload: string;
  owner?: PodOwner;
}

/** One thing that happened to a pod or in the namespace, in the order the observer saw it. */
export type PodTimelineEvent =
  | (PodEventBase & {
      kind: 'pod-added';
      /** The pod was there when the observer started. */
      initial?: boolean;
    })
  | (PodEventBase & {
      kind: 'pod-deleted';
      /** The deletion happened while no watch was open (found by a re-list). */
      missed?: boolean;
    })
  | (PodEventBase & { kind: 'pod-ready' | 'pod-not-ready' })
  | (PodEventBase & {
      kind: 'container-restarted';
      container: string;
      restartCount: number;
      /** restartCount minus what was seen before (several restarts may fall between two updates). */
      increase: number;
      /** lastState.terminated.reason, e.g. Error, OOMKilled. */
      reason?: string;
      exitCode?: number;
    })
  | (PodEventBase & {
      kind: 'image-changed';
      container: string;
      /** What this pod had before, or the workload's previous pod's image for a new pod. */
      fromImage: string;
      toImage: string;
    })
  | {
      kind: 'kube-event';
      at: number;
      /** Normal or Warning. */
      eventType: string;
      reason: string;
      message: string;
      involvedObject: { kind: string; name: string };
      /** The Event's count (repeats of the same event raise it). */
      count: number;
    };

export type PodTimelineKind = PodTimelineEvent['kind'];

export interface WorkloadSummary {
  workload: string;
  podsSeen: number;
  restarts: number;
  /** The most pods of this workload that existed and were not ready at the same time. */
  maxNotReady: number;
  /** Container images in the order first seen (`container=image` when a pod has several containers). */
  images: string[];
}

interface PodState {
  uid: string;
  workload: string;
  owner?: PodOwner;
  ready: boolean;
  images: Map<string, string>;
  restarts: Map<string, number>;
}

interface WorkloadState {
  podsSeen: number;
  restarts: number;
  maxNotReady: number;
  images: string[];
  lastImage: Map<string, string>;
}

const HASH_LABEL = 'pod-template-hash';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The controlling owner and the workload it stands for (a ReplicaSet's Deployment by its hash suffix). */
export function workloadOf(pod: KubeItem): { workload: string; owner?: PodOwner } {
  const meta = record(pod.metadata);
  const refs = list(meta.ownerReferences);
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  const kind = text(ref?.kind);
  const name = text(ref?.name);
  if (!kind || !name) return { workload: `Pod/${text(meta.name) ?? ''}` };
  const owner = { kind, name };
  const hash = text(record(meta.labels)[HASH_LABEL]);
  if (kind === 'ReplicaSet' && hash && name.endsWith(`-${hash}`)) {
    return { workload: `Deployment/${name.slice(0, -hash.length - 1)}`, owner };
  }
  return { workload: `${kind}/${name}`, owner };
}

export function isReady(pod: KubeItem): boolean {
  return list(record(pod.status).conditions).some(
    (c) => c.type === 'Ready' && (c.status === 'True' || c.status === true),
  );
}

function imagesOf(pod: KubeItem): Map<string, string> {
  const images = new Map<string, string>();
  for (const c of list(record(pod.spec).containers)) {
    const name = text(c.name);
    const image = text(c.image);
    if (name && image) images.set(name, image);
  }
  if (images.size === 0) {
    for (const c of list(record(pod.status).containerStatuses)) {
      const name = text(c.name);
      const image = text(c.image);
      if (name && image) images.set(name, image);
    }
  }
  return images;
}

interface RestartInfo {
  count: number;
  reason?: string;
  exitCode?: number;
}

function restartsOf(pod: KubeItem): Map<string, RestartInfo> {
  const out = new Map<string, RestartInfo>();
  const status = record(pod.status);
  for (const c of [...list(status.initContainerStatuses), ...list(status.containerStatuses)]) {
    const name = text(c.name);
    if (!name) continue;
    const terminated = record(record(c.lastState).terminated);
    const reason = text(terminated.reason);
    const exitCode = typeof terminated.exitCode === 'number' ? terminated.exitCode : undefined;
    out.set(name, {
      count: typeof c.restartCount === 'number' ? c.restartCount : 0,
      ...(reason ? { reason } : {}),
      ...(exitCode !== undefined ? { exitCode } : {}),
    });
  }
  return out;
}

export type UpsertMode = 'initial' | 'live' | 'relist';

/**
 * Turns pod states (from lists and watch events) into timeline events. Pure apart from its own
 * state: `now` is passed in; each call returns the events it produced.
 */
export class PodTracker {
  private readonly pods = new Map<string, PodState>();
  private readonly workloads = new Map<string, WorkloadState>();

  upsert(pod: KubeItem, mode: UpsertMode, now: number): PodTimelineEvent[] {
    const meta = record(pod.metadata);
    const name = text(meta.name);
    if (!name) return [];
    const uid = text(meta.uid) ?? name;
    const out: PodTimelineEvent[] = [];
    const known = this.pods.get(name);
    if (known && known.uid !== uid) out.push(...this.remove(name, mode === 'relist', now));
    const state = this.pods.get(name);
    if (state) this.update(name, state, pod, now, out);
    else this.add(name, uid, pod, mode, now, out);
    return out;
  }

  remove(name: string, missed: boolean, now: number): PodTimelineEvent[] {
    const state = this.pods.get(name);
    if (!state) return [];
    this.pods.delete(name);
    return [{ kind: 'pod-deleted', at: now, ...this.base(name, state), ...(missed ? { missed } : {}) }];
  }

  /** A re-list: upserts every pod and reports those gone since as deleted (missed). */
  resync(items: KubeItem[], now: number): PodTimelineEvent[] {
    const out: PodTimelineEvent[] = [];
    const present = new Set<string>();
    for (const item of items) {
      const name = text(record(item.metadata).name);
      if (name) present.add(name);
      out.push(...this.upsert(item, 'relist', now));
    }
    for (const name of [...this.pods.keys()])
      if (!present.has(name)) out.push(...this.remove(name, true, now));
    return out;
  }

  summary(): WorkloadSummary[] {
    return [...this.workloads.entries()].map(([workload, w]) => ({
      workload,
      podsSeen: w.podsSeen,
      restarts: w.restarts,
      maxNotReady: w.maxNotReady,
      images: [...w.images],
    }));
  }

  private base(name: string, state: PodState) {
    return { pod: name, workload: state.workload, ...(state.owner ? { owner: state.owner } : {}) };
  }

  private workload(name: string): WorkloadState {
    let w = this.workloads.get(name);
    if (!w) {
      w = { podsSeen: 0, restarts: 0, maxNotReady: 0, images: [], lastImage: new Map() };
      this.workloads.set(name, w);
    }
    return w;
  }

  private add(
    name: string,
    uid: string,
    pod: KubeItem,
    mode: UpsertMode,
    now: number,
    out: PodTimelineEvent[],
  ): void {
    const { workload, owner } = workloadOf(pod);
    const images = imagesOf(pod);
    const restarts = new Map([...restartsOf(pod)].map(([c, r]) => [c, r.count]));
    const state: PodState = {
      uid,
      workload,
      ...(owner ? { owner } : {}),
      ready: isReady(pod),
      images,
      restarts,
    };
    this.pods.set(name, state);
    const w = this.workload(workload);
    w.podsSeen += 1;
    out.push({
      kind: 'pod-added',
      at: now,
      ...this.base(name, state),
      ...(mode === 'initial' ? { initial: true } : {}),
    });
    for (const [container, image] of images) {
      const previous = w.lastImage.get(container);
      if (mode !== 'initial' && previous !== undefined && previous !== image) {
        out.push({
          kind: 'image-changed',
          at: now,
          ...this.base(name, state),
          container,
          fromImage: previous,
          toImage: image,
        });
      }
      this.noteImage(w, container, image, images.size);
    }
    if (mode !== 'initial' && state.ready)
      out.push({ kind: 'pod-ready', at: now, ...this.base(name, state) });
    this.countNotReady(workload);
  }

  private update(name: string, state: PodState, pod: KubeItem, now: number, out: PodTimelineEvent[]): void {
    const w = this.workload(state.workload);
    const images = imagesOf(pod);
    for (const [container, image] of images) {
      const before = state.images.get(container);
      if (before !== undefined && before !== image) {
        out.push({
          kind: 'image-changed',
          at: now,
          ...this.base(name, state),
          container,
          fromImage: before,
          toImage: image,
        });
      }
      this.noteImage(w, container, image, images.size);
    }
    state.images = images;
    for (const [container, info] of restartsOf(pod)) {
      const before = state.restarts.get(container) ?? 0;
      if (info.count > before) {
        w.restarts += info.count - before;
        out.push({
          kind: 'container-restarted',
          at: now,
          ...this.base(name, state),
          container,
          restartCount: info.count,
          increase: info.count - before,
          ...(info.reason ? { reason: info.reason } : {}),
          ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
        });
      }
      state.restarts.set(container, info.count);
    }
    const ready = isReady(pod);
    if (ready !== state.ready) {
      state.ready = ready;
      out.push({ kind: ready ? 'pod-ready' : 'pod-not-ready', at: now, ...this.base(name, state) });
    }
    this.countNotReady(state.workload);
  }

  private noteImage(w: WorkloadState, container: string, image: string, containers: number): void {
    w.lastImage.set(container, image);
    const label = containers > 1 ? `${container}=${image}` : image;
    if (!w.images.includes(label)) w.images.push(label);
  }

  private countNotReady(workload: string): void {
    let notReady = 0;
    for (const state of this.pods.values()) if (state.workload === workload && !state.ready) notReady += 1;
    const w = this.workload(workload);
    w.maxNotReady = Math.max(w.maxNotReady, notReady);
  }
}
