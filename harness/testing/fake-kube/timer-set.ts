/** Every timer the fake starts, so close() can clear all of them. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `fn` once after `ms`; returns a cancel function. Does nothing once closed. */
  timeout(fn: () => void, ms: number): () => void {
    if (this.closed) return () => {};
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  interval(fn: () => void, ms: number): () => void {
    if (this.closed) return () => {};
    const timer = setInterval(fn, ms);
    this.timers.add(timer);
    return () => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
  }

  get size(): number {
    return this.timers.size;
  }

  clearAll(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
