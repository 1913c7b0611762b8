import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { startFrontDoor } from './front-door.js';
import { getOnNewConnection, startTestBackend } from './front-door-test-backend.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Outcome {
  kind: 'reused' | 'new';
  status: number;
  version: string | undefined;
  error?: string;
}

const MIN_REQUESTS = 300;
const MAX_REQUESTS = 2_000;
const AFTER_REPLACEMENT = 60;
const GAP_MS = 5;

describe('front door graceful replacement', () => {
  it('serves a constant request stream with zero failures while a replica is replaced', async () => {
    const a = await startTestBackend('v1');
    cleanups.push(() => a.kill());
    const b = await startTestBackend('v2');
    cleanups.push(() => b.kill());
    const door = await startFrontDoor({
      logger: silentLogger(),
      readinessPath: '/healthz',
      readinessIntervalMs: 50,
    });
    cleanups.push(() => door.close());
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);

    const pool = new Pool(door.url, { connections: 16 });
    cleanups.push(() => pool.destroy());
    const send = async (i: number): Promise<Outcome> => {
      const kind = i % 3 === 2 ? 'new' : 'reused';
      try {
        if (kind === 'new') return { kind, ...(await getOnNewConnection(`${door.url}/`)) };
        const res = await pool.request({
          path: '/',
          method: 'GET',
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await res.body.text();
        const version = res.headers['x-app-version'];
        return { kind, status: res.statusCode, version: typeof version === 'string' ? version : undefined };
      } catch (err: unknown) {
        return { kind, status: 0, version: undefined, error: errorMessage(err) };
      }
    };

    let replacedAt: number | undefined;
    let sent = 0;
    const pending: Array<Promise<Outcome>> = [];
    const replacement = (async () => {
      while (sent < MIN_REQUESTS / 3) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      door.addBackend('b', b.url);
      await door.waitReady('b', 10_000);
      await door.removeBackend('a', { drainTimeoutMs: 10_000 });
      // The old replica's process exits: every connection it still has is cut.
      await a.kill();
      replacedAt = sent;
    })();
    const replacementDone = replacement.then(
      () => true,
      () => true,
    );

    // Open model: a request every GAP_MS, never waiting for earlier ones; bounded in count.
    while (sent < MAX_REQUESTS) {
      if (sent >= MIN_REQUESTS && replacedAt !== undefined && sent >= replacedAt + AFTER_REPLACEMENT) break;
      pending.push(send(sent));
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    await replacementDone;
    await replacement;
    const outcomes = await Promise.all(pending);

    const failures = outcomes.filter((x) => x.status !== 200);
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(new Set(outcomes.map((x) => x.version))).toEqual(new Set(['v1', 'v2']));
    expect(new Set(outcomes.map((x) => x.kind))).toEqual(new Set(['reused', 'new']));
    const afterKill = outcomes.slice((replacedAt ?? 0) + 1);
    expect(afterKill.length).toBeGreaterThanOrEqual(AFTER_REPLACEMENT - 1);
    expect(afterKill.every((x) => x.version === 'v2')).toBe(true);
    expect(door.backends().map((x) => x.id)).toEqual(['b']);
  });
});
