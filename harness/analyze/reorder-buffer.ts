import { type HeapEntry, SampleHeap } from './sample-heap.js';

const INITIAL_CAPACITY = 64;

/**
 * Samples of one sampler, given back in order of (startMs, intendedStartMs, seq). Most samples
 * arrive already in that order (fast responses complete in the order they started): those go to a
 * FIFO ring at O(1); only the ones that arrive behind the ring's tail (slow responses, timeouts) go
 * to a heap. Taking the smaller head of the two merges them back into order.
 */
export class ReorderBuffer {
  readonly #heap = new SampleHeap();
  #start = new Float64Array(INITIAL_CAPACITY);
  #intended = new Float64Array(INITIAL_CAPACITY);
  #end = new Float64Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #outcome = new Uint8Array(INITIAL_CAPACITY);
  #head = 0;
  #count = 0;

  get size(): number {
    return this.#count + this.#heap.size;
  }

  push(e: HeapEntry): void {
    if (this.#count > 0) {
      const tail = (this.#head + this.#count - 1) & (this.#start.length - 1);
      const ts = this.#start[tail] as number;
      const behind =
        e.startMs < ts || (e.startMs === ts && e.intendedStartMs < (this.#intended[tail] as number));
      if (behind) {
        this.#heap.push(e);
        return;
      }
    }
    if (this.#count === this.#start.length) this.#grow();
    const i = (this.#head + this.#count) & (this.#start.length - 1);
    this.#start[i] = e.startMs;
    this.#intended[i] = e.intendedStartMs;
    this.#end[i] = e.endMs;
    this.#seq[i] = e.seq;
    this.#outcome[i] = e.outcome;
    this.#count++;
  }

  /** startMs of the next sample in order, or +Infinity when empty. */
  peekStart(): number {
    const q = this.#count > 0 ? (this.#start[this.#head] as number) : Number.POSITIVE_INFINITY;
    return Math.min(q, this.#heap.peekStart());
  }

  /** Removes the next sample in order into `out`; false when empty. */
  pop(out: HeapEntry): boolean {
    if (this.#count === 0) return this.#heap.pop(out);
    const h = this.#head;
    if (this.#heap.size > 0 && this.#heapFirst(h)) return this.#heap.pop(out);
    out.startMs = this.#start[h] as number;
    out.intendedStartMs = this.#intended[h] as number;
    out.endMs = this.#end[h] as number;
    out.seq = this.#seq[h] as number;
    out.outcome = this.#outcome[h] as number;
    this.#head = (h + 1) & (this.#start.length - 1);
    this.#count--;
    return true;
  }

  /** Whether the heap's smallest entry sorts before the ring's head at `h`. */
  #heapFirst(h: number): boolean {
    const top = this.#heap.peekKey();
    const s = this.#start[h] as number;
    if (top.startMs !== s) return top.startMs < s;
    const it = this.#intended[h] as number;
    if (top.intendedStartMs !== it) return top.intendedStartMs < it;
    return top.seq < (this.#seq[h] as number);
  }

  #grow(): void {
    const cap = this.#start.length;
    const n = cap * 2;
    // Unroll the ring into the front of arrays twice the size (capacity stays a power of two).
    const unroll = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      for (let k = 0; k < this.#count; k++) b[k] = a[(this.#head + k) & (cap - 1)] as number;
      return b;
    };
    this.#start = unroll(this.#start);
    this.#intended = unroll(this.#intended);
    this.#end = unroll(this.#end);
    this.#seq = unroll(this.#seq);
    const outcome = new Uint8Array(n);
    for (let k = 0; k < this.#count; k++) outcome[k] = this.#outcome[(this.#head + k) & (cap - 1)] as number;
    this.#outcome = outcome;
    this.#head = 0;
  }
}
