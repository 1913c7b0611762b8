/**
 * An unbounded single-consumer async queue: producers never wait, so a slow consumer cannot slow
 * the load; everything pushed before `close()` is delivered, then iteration ends.
 */
export class SampleQueue<T> implements AsyncIterable<T> {
  private buffer: T[] = [];
  private head = 0;
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;
  private iterated = false;

  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value, done: false });
      return;
    }
    this.buffer.push(value);
  }

  close(): void {
    this.closed = true;
    if (this.waiter && this.head >= this.buffer.length) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
  }

  get size(): number {
    return this.buffer.length - this.head;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new Error('samples() can be iterated only once');
    this.iterated = true;
    return {
      next: () => {
        if (this.head < this.buffer.length) {
          const value = this.buffer[this.head] as T;
          this.head++;
          this.compact();
          return Promise.resolve({ value, done: false });
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.closed = true;
        this.buffer = [];
        this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }
}
