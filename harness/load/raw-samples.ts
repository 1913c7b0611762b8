import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline as pipeStreams } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Sample } from '../common/sample.js';

/** Lines are handed to gzip in chunks of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes every sample as one JSON line to a gzipped NDJSON file, for offline analysis of a run
 * that is otherwise only kept folded. Memory stays bounded when the caller honours backpressure:
 * `write` returns false when gzip's buffer is full, then await `drained()`.
 */
export class RawSampleWriter {
  readonly path: string;
  readonly #gzip = createGzip();
  readonly #done: Promise<void>;
  #error: unknown;
  #lines: string[] = [];
  #chars = 0;
  #samples = 0;
  #closed = false;

  constructor(path: string) {
    this.path = path;
    this.#done = pipeline(this.#gzip, createWriteStream(path)).catch((err: unknown) => {
      this.#error ??= err;
    });
  }

  /** Samples written so far. */
  get samples(): number {
    return this.#samples;
  }

  /** Queues one sample. False when the caller should await drained() before writing more. */
  write(sample: Sample): boolean {
    if (this.#closed) throw new Error(`RawSampleWriter.write after close (${this.path})`);
    if (this.#error !== undefined) return true;
    const line = JSON.stringify(sample);
    this.#lines.push(line);
    this.#chars += line.length + 1;
    this.#samples++;
    return this.#chars >= CHUNK_CHARS ? this.#flush() : true;
  }

  /** Resolves when gzip can take more (at once if it can, or once the stream has failed). */
  async drained(): Promise<void> {
    if (!this.#gzip.writableNeedDrain || this.#error !== undefined) return;
    await Promise.race([once(this.#gzip, 'drain'), this.#done]);
  }

  /** Flushes, ends the gzip stream and waits for the file to be complete. Rejects if any write failed. */
  async close(): Promise<{ path: string; samples: number }> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#error === undefined) this.#flush();
      this.#gzip.end();
    }
    await this.#done;
    if (this.#error !== undefined) throw this.#error;
    return { path: this.path, samples: this.#samples };
  }

  #flush(): boolean {
    if (this.#lines.length === 0) return true;
    const chunk = `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    this.#chars = 0;
    return this.#gzip.write(chunk);
  }
}

/** Reads a file written by RawSampleWriter back, one sample at a time. Rejects on a read or gzip error. */
export async function* readRawSamples(path: string): AsyncGenerator<Sample> {
  // The callback form destroys the gunzip stream with any error of the chain, so iteration rejects.
  const text = pipeStreams(createReadStream(path), createGunzip(), () => undefined);
  text.setEncoding('utf8');
  let carry = '';
  for await (const chunk of text as AsyncIterable<string>) {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.length > 0) yield JSON.parse(line) as Sample;
  }
  if (carry.length > 0) yield JSON.parse(carry) as Sample;
}
