import type { Sample } from '../common/sample.js';
import type { LoadSummary, RunningLoad } from './load-driver.js';
import { SampleQueue } from './sample-queue.js';

/**
 * What every driver's running load shares: the sample queue read once, the acknowledged-key
 * ledger, and a `stop()` that runs the driver's `finish()` exactly once.
 */
export abstract class RunningLoadBase implements RunningLoad {
  protected readonly queue = new SampleQueue<Sample>();
  /** Keys whose write was acknowledged, in order. */
  protected readonly acked: string[] = [];
  #stopping: Promise<LoadSummary> | null = null;
  #samplesTaken = false;

  samples(): AsyncIterable<Sample> {
    if (this.#samplesTaken) throw new Error('samples() can be called only once');
    this.#samplesTaken = true;
    return this.queue;
  }

  acknowledgedKeys(): readonly string[] {
    return [...this.acked];
  }

  stop(): Promise<LoadSummary> {
    this.#stopping ??= this.finish();
    return this.#stopping;
  }

  /** Stops scheduling, waits for what is in flight, closes connections and the queue. Called once. */
  protected abstract finish(): Promise<LoadSummary>;
}
