import type { Outcome, Sample } from '../common/sample.js';

/** A window in which the named samplers (all when absent) fail every request with `outcome`. */
export interface SyntheticOutage {
  from: number;
  to: number;
  outcome: Exclude<Outcome, 'ok'>;
  samplers?: readonly string[];
}

export interface SyntheticStreamOptions {
  seed: number;
  /** Sampler ids `${endpoint}:${connection}`; the endpoint is also the endpoint class. */
  samplers: readonly string[];
  /** Requests per second of each sampler. */
  ratePerSampler: number;
  t0: number;
  durationMs: number;
  /** Timeouts end this long after their start, plus up to `timeoutLagMs` (a late timer). */
  timeoutMs: number;
  timeoutLagMs?: number;
  outages?: readonly SyntheticOutage[];
  /** Probability that a request outside an outage fails on its own (interleaved failures). */
  isolatedFailureRate?: number;
  /** Ok latency: most fast, some slow (up to this fraction of the timeout). */
  slowFraction?: number;
  /** Version of ok responses by start time; undefined for none. */
  version?: (startMs: number, random: () => number) => string | undefined;
  /** Starts are whole milliseconds (ties between samples) instead of fractional. */
  integerTimes?: boolean;
}

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAILURES: ReadonlyArray<Exclude<Outcome, 'ok'>> = ['http_5xx', 'reset', 'refused', 'timeout', 'other'];

/**
 * Samples of an open-model load in COMPLETION order (as a driver delivers them), generated lazily
 * with memory bounded by the requests in flight: a request that times out arrives long after
 * requests that started later. Deterministic for a seed.
 */
export function* syntheticSamples(o: SyntheticStreamOptions): Generator<Sample> {
  const random = seededRandom(o.seed);
  const periodMs = 1000 / o.ratePerSampler;
  const inFlight = new EndHeap();
  const count = Math.floor(o.durationMs / periodMs);
  const offsets = o.samplers.map((_s, i) => (i * periodMs) / o.samplers.length);
  for (let k = 0; k < count; k++) {
    for (let j = 0; j < o.samplers.length; j++) {
      const sampler = o.samplers[j] as string;
      let intended = o.t0 + k * periodMs + (offsets[j] as number);
      let start = intended + random() * 2;
      if (o.integerTimes) {
        intended = Math.floor(intended);
        start = Math.floor(start);
      }
      while (inFlight.size > 0 && inFlight.peekEnd() <= start) yield inFlight.pop();
      inFlight.push(makeSample(o, random, sampler, intended, start));
    }
  }
  while (inFlight.size > 0) yield inFlight.pop();
}

function makeSample(
  o: SyntheticStreamOptions,
  random: () => number,
  sampler: string,
  intended: number,
  start: number,
): Sample {
  const [endpoint = sampler, connection] = sampler.split(':');
  const outage = o.outages?.find(
    (w) => start >= w.from && start < w.to && (!w.samplers || w.samplers.includes(sampler)),
  );
  let outcome: Outcome = 'ok';
  if (outage) outcome = outage.outcome;
  else if (random() < (o.isolatedFailureRate ?? 0))
    outcome = FAILURES[Math.floor(random() * FAILURES.length)] as Outcome;
  let durationMs: number;
  if (outcome === 'timeout') durationMs = o.timeoutMs + random() * (o.timeoutLagMs ?? 0);
  else if (outcome === 'refused' || outcome === 'reset') durationMs = 0.1 + random();
  else if (random() < (o.slowFraction ?? 0.02)) durationMs = random() * o.timeoutMs * 0.8;
  else durationMs = 0.5 + random() * random() * 20;
  let end = start + durationMs;
  if (o.integerTimes) end = Math.ceil(end);
  const s: Sample = {
    sampler,
    endpoint,
    endpointClass: endpoint,
    connection: connection === 'new' ? 'new' : 'reused',
    intendedStartMs: intended,
    startMs: start,
    endMs: end,
    outcome,
  };
  if (outcome === 'ok') {
    const v = o.version ? o.version(start, random) : '1';
    if (v !== undefined) s.version = v;
  }
  return s;
}

/** Samples in flight, smallest end first (ties: the one sent first). */
class EndHeap {
  readonly #items: Array<{ s: Sample; seq: number }> = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  peekEnd(): number {
    return this.#items[0]?.s.endMs ?? Number.POSITIVE_INFINITY;
  }

  push(s: Sample): void {
    const items = this.#items;
    const item = { s, seq: this.#seq++ };
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, items[p]!)) break;
      items[i] = items[p]!;
      i = p;
    }
    items[i] = item;
  }

  pop(): Sample {
    const items = this.#items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= items.length) break;
        const r = l + 1;
        const c = r < items.length && before(items[r]!, items[l]!) ? r : l;
        if (!before(items[c]!, last)) break;
        items[i] = items[c]!;
        i = c;
      }
      items[i] = last;
    }
    return top.s;
  }
}

function before(a: { s: Sample; seq: number }, b: { s: Sample; seq: number }): boolean {
  return a.s.endMs < b.s.endMs || (a.s.endMs === b.s.endMs && a.seq < b.seq);
}
