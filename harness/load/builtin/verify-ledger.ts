import { Agent, request } from 'undici';
import { sleep } from '../../common/clock.js';
import { AbortedError } from '../../common/errors.js';
import type { DataIntegrity } from '../../common/run-record.js';

export interface VerifyLedgerOptions {
  signal: AbortSignal;
  /** Per read attempt. */
  timeoutMs: number;
  /** Reads in flight at once. */
  concurrency: number;
  /** Tries per key before it counts as unverified (default 3). */
  attempts?: number;
  /** Pause before a retry, multiplied by the attempt number (default 100 ms). */
  retryDelayMs?: number;
}

const MAX_LOST_KEYS = 20;

type KeyState = 'verified' | 'lost' | 'unverified';

/**
 * Reads every acknowledged key back: `GET readPath` with `{{key}}` replaced (URL-encoded), round-robin
 * over `baseUrls`. 2xx = verified, 404 = lost, anything else after all attempts = unverified.
 * Rejects with AbortedError when the signal is aborted.
 */
export async function verifyLedger(
  baseUrls: string[],
  readPath: string,
  keys: readonly string[],
  opts: VerifyLedgerOptions,
): Promise<DataIntegrity> {
  if (baseUrls.length === 0) throw new Error('verifyLedger: no base URLs');
  const bases = baseUrls.map((u) => u.replace(/\/+$/, ''));
  const attempts = Math.max(1, opts.attempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 100;
  const states: KeyState[] = new Array(keys.length);
  const agent = new Agent({ connect: { timeout: opts.timeoutMs } });
  let nextIndex = 0;
  let tries = 0;

  const readOnce = async (key: string): Promise<KeyState | 'retry'> => {
    const base = bases[tries++ % bases.length] as string;
    const url = base + readPath.replaceAll('{{key}}', encodeURIComponent(key));
    try {
      const res = await request(url, {
        dispatcher: agent,
        signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      await res.body.dump({ limit: 1 << 20 }).catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode <= 299) return 'verified';
      if (res.statusCode === 404) return 'lost';
      return 'retry';
    } catch {
      if (opts.signal.aborted) throw new AbortedError('data ledger verification interrupted');
      return 'retry';
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (opts.signal.aborted) throw new AbortedError('data ledger verification interrupted');
      const index = nextIndex++;
      if (index >= keys.length) return;
      const key = keys[index] as string;
      let state: KeyState = 'unverified';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const outcome = await readOnce(key);
        if (outcome !== 'retry') {
          state = outcome;
          break;
        }
        if (attempt < attempts) await sleep(retryDelayMs * attempt, opts.signal).catch(() => undefined);
      }
      states[index] = state;
    }
  };

  try {
    const workers = Math.max(1, Math.min(opts.concurrency, keys.length));
    await Promise.all(Array.from({ length: workers }, () => worker()));
  } finally {
    await agent.close().catch(() => undefined);
  }

  const result: DataIntegrity = {
    acknowledged: keys.length,
    verified: 0,
    lost: 0,
    unverified: 0,
    lostKeys: [],
  };
  states.forEach((state, i) => {
    result[state]++;
    if (state === 'lost' && result.lostKeys.length < MAX_LOST_KEYS) result.lostKeys.push(keys[i] as string);
  });
  return result;
}
