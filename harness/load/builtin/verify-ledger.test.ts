import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../common/errors.js';
import { verifyLedger } from './verify-ledger.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** Answers GET /items/<key> by `answer(key, attemptNumber)`; records concurrency. */
async function ledgerServer(answer: (key: string, attempt: number) => number | 'hang') {
  const attempts = new Map<string, number>();
  const stats = { inFlight: 0, maxInFlight: 0, requests: 0 };
  const server = createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? '').replace('/items/', ''));
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const result = answer(key, n);
    if (result === 'hang') return;
    setTimeout(() => {
      stats.inFlight--;
      res.statusCode = result;
      res.end('{}');
    }, 5);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, attempts, stats };
}

const opts = { signal: new AbortController().signal, timeoutMs: 1000, concurrency: 4, retryDelayMs: 5 };

describe('verifyLedger', () => {
  it('counts verified, lost (404) and unverified keys, listing lost keys in ledger order', async () => {
    const keys = Array.from({ length: 40 }, (_v, i) => `run/k${i}`);
    const server = await ledgerServer((key) => {
      const i = Number(key.split('k')[1]);
      if (i % 10 === 3) return 404;
      if (i === 7) return 500;
      return 200;
    });
    const result = await verifyLedger([server.url], '/items/{{key}}', keys, opts);
    expect(result).toEqual({
      acknowledged: 40,
      verified: 35,
      lost: 4,
      unverified: 1,
      lostKeys: ['run/k3', 'run/k13', 'run/k23', 'run/k33'],
    });
    expect(server.attempts.get('run/k7')).toBe(3);
    expect(server.attempts.get('run/k0')).toBe(1);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(4);
  });

  it('retries transient errors and succeeds', async () => {
    const server = await ledgerServer((_key, attempt) => (attempt < 3 ? 503 : 200));
    const result = await verifyLedger([server.url], '/items/{{key}}', ['a', 'b'], opts);
    expect(result.verified).toBe(2);
    expect(result.unverified).toBe(0);
  });

  it('lists at most 20 lost keys', async () => {
    const server = await ledgerServer(() => 404);
    const keys = Array.from({ length: 30 }, (_v, i) => `k${i}`);
    const result = await verifyLedger([server.url], '/items/{{key}}', keys, { ...opts, concurrency: 8 });
    expect(result.lost).toBe(30);
    expect(result.lostKeys).toEqual(keys.slice(0, 20));
  });

  it('counts timeouts as unverified', async () => {
    const server = await ledgerServer(() => 'hang');
    const result = await verifyLedger([server.url], '/items/{{key}}', ['slow'], { ...opts, timeoutMs: 80 });
    expect(result).toMatchObject({ verified: 0, lost: 0, unverified: 1 });
    expect(server.attempts.get('slow')).toBe(3);
  });

  it('handles an empty ledger', async () => {
    const result = await verifyLedger(['http://127.0.0.1:9'], '/items/{{key}}', [], opts);
    expect(result).toEqual({ acknowledged: 0, verified: 0, lost: 0, unverified: 0, lostKeys: [] });
  });

  it('rejects with AbortedError when aborted', async () => {
    const server = await ledgerServer(() => 'hang');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await expect(
      verifyLedger([server.url], '/items/{{key}}', ['a', 'b'], {
        ...opts,
        signal: abort.signal,
        timeoutMs: 5000,
      }),
    ).rejects.toBeInstanceOf(AbortedError);
  });
});
