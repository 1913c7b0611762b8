import type { KubeItem } from './list-watch.js';
import type { PodTimelineEvent } from './pod-timeline.js';

type KubeEventEntry = Extract<PodTimelineEvent, { kind: 'kube-event' }>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Turns core/v1 Events into `kube-event` entries: new Events and repeats (a higher count) count;
 * those present when observing started are the baseline and do not. Remembers at most
 * `maxRemembered` Events (the oldest are forgotten).
 */
export class KubeEventTracker {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxRemembered = 10_000) {}

  /** The first list: remembered, not reported. */
  baseline(items: KubeItem[]): void {
    for (const item of items) this.remember(item);
  }

  /** A watch event or a re-listed item; returns the entry when it is new or repeated. */
  observe(item: KubeItem, now: number): KubeEventEntry | undefined {
    const before = this.counts.get(this.key(item));
    const count = this.remember(item);
    if (before !== undefined && count <= before) return undefined;
    const involved = record(item.involvedObject);
    return {
      kind: 'kube-event',
      at: now,
      eventType: str(item.type) || 'Normal',
      reason: str(item.reason),
      message: str(item.message),
      involvedObject: { kind: str(involved.kind), name: str(involved.name) },
      count,
    };
  }

  private key(item: KubeItem): string {
    const meta = record(item.metadata);
    return str(meta.uid) || `${str(meta.namespace)}/${str(meta.name)}`;
  }

  private remember(item: KubeItem): number {
    const key = this.key(item);
    const count = typeof item.count === 'number' ? item.count : 1;
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.maxRemembered) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
    return count;
  }
}
