/** What the downtime runs need of a sample, ordered by (startMs, intendedStartMs, seq). */
export interface HeapEntry {
  startMs: number;
  intendedStartMs: number;
  endMs: number;
  /** Arrival number: equal starts keep the order samples arrived in (a stable sort). */
  seq: number;
  /** Index into OUTCOMES (0 = ok). */
  outcome: number;
}

const INITIAL_CAPACITY = 64;

/**
 * A min-heap of samples in parallel typed arrays (about 33 bytes an entry, no object per sample),
 * so a reorder buffer of a few hundred thousand samples stays a few megabytes.
 */
export class SampleHeap {
  #start = new Float64Array(INITIAL_CAPACITY);
  #intended = new Float64Array(INITIAL_CAPACITY);
  #end = new Float64Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #outcome = new Uint8Array(INITIAL_CAPACITY);
  #size = 0;
  readonly #key = { startMs: 0, intendedStartMs: 0, seq: 0 };

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#start.length;
  }

  /** startMs of the smallest entry, or +Infinity when empty. */
  peekStart(): number {
    return this.#size > 0 ? (this.#start[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** The order key of the smallest entry (a reused object; only valid while the heap is not empty). */
  peekKey(): Readonly<Pick<HeapEntry, 'startMs' | 'intendedStartMs' | 'seq'>> {
    const k = this.#key;
    k.startMs = this.#start[0] as number;
    k.intendedStartMs = this.#intended[0] as number;
    k.seq = this.#seq[0] as number;
    return k;
  }

  push(e: HeapEntry): void {
    if (this.#size === this.#start.length) this.#grow();
    let i = this.#size++;
    // Sift up: move parents down until the slot for `e` is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(e.startMs, e.intendedStartMs, e.seq, parent)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#set(i, e);
  }

  /** Removes the smallest entry into `out`; false when empty. */
  pop(out: HeapEntry): boolean {
    if (this.#size === 0) return false;
    this.#read(0, out);
    const last = --this.#size;
    if (last === 0) return true;
    const s = this.#start[last] as number;
    const it = this.#intended[last] as number;
    const en = this.#end[last] as number;
    const sq = this.#seq[last] as number;
    const oc = this.#outcome[last] as number;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.#lessAt(right, left) ? right : left;
      if (!this.#lessAtThan(child, s, it, sq)) break;
      this.#move(child, i);
      i = child;
    }
    this.#start[i] = s;
    this.#intended[i] = it;
    this.#end[i] = en;
    this.#seq[i] = sq;
    this.#outcome[i] = oc;
    return true;
  }

  /** Whether (start, intended, seq) sorts before the entry at `j`. */
  #less(start: number, intended: number, seq: number, j: number): boolean {
    const js = this.#start[j] as number;
    if (start !== js) return start < js;
    const ji = this.#intended[j] as number;
    if (intended !== ji) return intended < ji;
    return seq < (this.#seq[j] as number);
  }

  #lessAt(a: number, b: number): boolean {
    return this.#less(this.#start[a] as number, this.#intended[a] as number, this.#seq[a] as number, b);
  }

  /** Whether the entry at `a` sorts before (start, intended, seq). */
  #lessAtThan(a: number, start: number, intended: number, seq: number): boolean {
    const as = this.#start[a] as number;
    if (as !== start) return as < start;
    const ai = this.#intended[a] as number;
    if (ai !== intended) return ai < intended;
    return (this.#seq[a] as number) < seq;
  }

  #move(from: number, to: number): void {
    this.#start[to] = this.#start[from] as number;
    this.#intended[to] = this.#intended[from] as number;
    this.#end[to] = this.#end[from] as number;
    this.#seq[to] = this.#seq[from] as number;
    this.#outcome[to] = this.#outcome[from] as number;
  }

  #set(i: number, e: HeapEntry): void {
    this.#start[i] = e.startMs;
    this.#intended[i] = e.intendedStartMs;
    this.#end[i] = e.endMs;
    this.#seq[i] = e.seq;
    this.#outcome[i] = e.outcome;
  }

  #read(i: number, out: HeapEntry): void {
    out.startMs = this.#start[i] as number;
    out.intendedStartMs = this.#intended[i] as number;
    out.endMs = this.#end[i] as number;
    out.seq = this.#seq[i] as number;
    out.outcome = this.#outcome[i] as number;
  }

  #grow(): void {
    const n = this.#start.length * 2;
    const wider = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.#start = wider(this.#start);
    this.#intended = wider(this.#intended);
    this.#end = wider(this.#end);
    this.#seq = wider(this.#seq);
    const outcome = new Uint8Array(n);
    outcome.set(this.#outcome);
    this.#outcome = outcome;
  }
}
