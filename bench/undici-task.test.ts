import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bareDispatchLoop } from './undici-task.js';

const servers: Server[] = [];

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

describe('bareDispatchLoop', () => {
  it('keeps `connections` requests in flight, counts 2xx and stops at maxRequests', async () => {
    let active = 0;
    let maxActive = 0;
    let served = 0;
    const url = await listen((_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      served++;
      // Answer on the next tick so concurrent requests overlap at the server.
      setImmediate(() => {
        active--;
        res.end('{"ok":true}');
      });
    });
    const counts = await bareDispatchLoop({
      url,
      connections: 4,
      durationMs: 20_000,
      timeoutMs: 5000,
      maxRequests: 200,
    });
    expect(counts).toMatchObject({ sent: 200, ok: 200, non2xx: 0, errors: 0 });
    expect(served).toBe(200);
    expect(maxActive).toBeLessThanOrEqual(4);
    expect(maxActive).toBeGreaterThan(1);
    expect(counts.windowMs).toBeGreaterThan(0);
  });

  it('counts other statuses apart from 2xx', async () => {
    let n = 0;
    const url = await listen((_req, res) => {
      res.statusCode = n++ % 2 === 0 ? 200 : 503;
      res.end();
    });
    const counts = await bareDispatchLoop({
      url,
      connections: 1,
      durationMs: 20_000,
      timeoutMs: 5000,
      maxRequests: 10,
    });
    expect(counts).toMatchObject({ sent: 10, ok: 5, non2xx: 5, errors: 0 });
  });

  it('stops at durationMs and counts errors without spinning when nothing listens', async () => {
    const url = await listen(() => undefined);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const counts = await bareDispatchLoop({
      url,
      connections: 2,
      durationMs: 200,
      timeoutMs: 1000,
      maxRequests: 1_000_000,
    });
    expect(counts.ok).toBe(0);
    expect(counts.errors).toBe(counts.sent);
    expect(counts.errors).toBeGreaterThan(0);
    // Each lane waits 10 ms after an error: far fewer than a hot loop would send in 200 ms.
    expect(counts.sent).toBeLessThan(2 * (200 / 10 + 5));
  });
});
