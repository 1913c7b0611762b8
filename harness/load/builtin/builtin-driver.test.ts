import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { silentLogger } from '../../common/logger.js';
import type { Sample } from '../../common/sample.js';
import type { EndpointConfig } from '../../config/types.js';
import { ScriptedServer } from '../../testing/scripted-server.js';
import type { LoadProfile, RunningLoad } from '../load-driver.js';
import { BuiltinLoadDriver } from './builtin-driver.js';

function testContext(signal = new AbortController().signal): RunContext {
  return {
    runId: 'run1',
    cellId: 'cell-a',
    signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: '/nonexistent',
    event: () => undefined,
  };
}

const home: EndpointConfig = {
  name: 'home',
  class: 'web',
  method: 'GET',
  path: '/',
  weight: 1,
  expectStatus: [200],
};

function profile(overrides: Partial<LoadProfile> = {}): LoadProfile {
  return {
    rate: 100,
    connections: ['reused'],
    timeoutMs: 1000,
    maxInFlight: 100,
    endpoints: [home],
    versionProbe: { header: 'x-app-version' },
    maxDurationMs: 5000,
    ...overrides,
  };
}

async function collect(load: RunningLoad): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of load.samples()) out.push(s);
  return out;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function scripted(...args: Parameters<typeof ScriptedServer.start>): Promise<ScriptedServer> {
  const s = await ScriptedServer.start(...args);
  cleanups.push(() => s.close());
  return s;
}

async function plainServer(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the load for `ms`, then stops it; the samples are read concurrently (or later when `lateReader`). */
async function runFor(load: RunningLoad, ms: number, lateReader = false) {
  const reading = lateReader ? null : collect(load);
  await sleep(ms);
  const summary = await load.stop();
  const samples = reading ? await reading : await collect(load);
  return { summary, samples };
}

function start(baseUrls: string[], p: Partial<LoadProfile>, ctx = testContext()): Promise<RunningLoad> {
  return new BuiltinLoadDriver().start({ baseUrls }, profile(p), ctx);
}

describe('BuiltinLoadDriver', () => {
  it("opens one connection per request for 'new'", async () => {
    const server = await scripted();
    const { summary, samples } = await runFor(
      await start([server.url], { rate: 50, connections: ['new'] }),
      300,
    );
    expect(samples.length).toBeGreaterThanOrEqual(10);
    expect(samples.length).toBe(summary.sent);
    expect(samples.every((s) => s.outcome === 'ok' && s.sampler === 'home:new')).toBe(true);
    expect(server.stats.connections).toBe(samples.length);
  });

  it("keeps connections open for 'reused'", async () => {
    const server = await scripted();
    const { samples } = await runFor(await start([server.url], { rate: 50, connections: ['reused'] }), 300);
    expect(samples.length).toBeGreaterThanOrEqual(10);
    expect(samples.every((s) => s.outcome === 'ok' && s.sampler === 'home:reused')).toBe(true);
    expect(server.stats.connections).toBeLessThanOrEqual(3);
  });

  it('sends on schedule while the server is slow (open model) and measures from the intended start', async () => {
    const { url } = await plainServer((_req, res) => {
      setTimeout(() => res.end('slow'), 150);
    });
    const { summary, samples } = await runFor(await start([url], { rate: 100 }), 300);
    const expected = Math.floor((summary.stoppedAt - summary.startedAt) / 10) + 1;
    expect(summary.scheduled).toBe(expected);
    expect(summary.sent).toBe(expected);
    expect(summary.dropped).toBe(0);
    expect(samples).toHaveLength(expected);
    const intended = samples.map((s) => s.intendedStartMs - summary.startedAt).sort((a, b) => a - b);
    for (const [i, t] of intended.entries()) expect(t).toBeCloseTo(i * 10, 6);
    for (const s of samples) {
      expect(s.startMs).toBeGreaterThanOrEqual(s.intendedStartMs);
      expect(s.endMs - s.intendedStartMs).toBeGreaterThanOrEqual(149);
    }
  });

  it('drops requests over maxInFlight and counts them', async () => {
    const server = await scripted({ script: [{ mode: 'hang', fromMs: 0, toMs: 60_000 }] });
    server.run(systemClock.now() - 1);
    const { summary, samples } = await runFor(
      await start([server.url], { rate: 100, maxInFlight: 3, timeoutMs: 300 }),
      150,
    );
    expect(summary.sent).toBe(3);
    expect(summary.dropped).toBe(summary.scheduled - 3);
    expect(summary.dropped).toBeGreaterThan(5);
    expect(samples.map((s) => s.outcome)).toEqual(['timeout', 'timeout', 'timeout']);
    for (const s of samples) expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(290);
  });

  it('gives each class with a rate of its own its own stream and request timeout', async () => {
    const { url } = await plainServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 400);
      else res.end('ok');
    });
    const api: EndpointConfig = { ...home, name: 'list', class: 'api', path: '/fast' };
    const git: EndpointConfig = { ...home, name: 'clone', class: 'git', path: '/slow' };
    const web: EndpointConfig = { ...home, name: 'page', class: 'web', path: '/fast' };
    const load = await start([url], {
      rate: 30, // only web has no rate of its own
      endpoints: [api, git, web],
      classes: { api: { rate: 100 }, git: { rate: 20, timeoutMs: 150 } },
      timeoutMs: 1000,
      maxDurationMs: 1000,
    });
    const { summary, samples } = await runFor(load, 1700);
    expect(summary.targetRate).toBe(150);
    const of = (name: string) => samples.filter((s) => s.endpoint === name);
    // A 1 s window at 100 / 20 / 30 per second: exactly that many arrivals, none dropped.
    expect(of('list')).toHaveLength(100);
    expect(of('clone')).toHaveLength(20);
    expect(of('page')).toHaveLength(30);
    expect(summary.dropped).toBe(0);
    expect(of('list').every((s) => s.outcome === 'ok' && s.endpointClass === 'api')).toBe(true);
    // git's own 150 ms timeout ends requests the server answers after 400 ms; the others' is 1 s.
    for (const s of of('clone')) {
      expect(s.outcome).toBe('timeout');
      expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(145);
      expect(s.endMs - s.startMs).toBeLessThan(390);
    }
  });

  it('does not turn an answer that came in time into a timeout when its own event loop stalled', async () => {
    const { url } = await plainServer((_req, res) => {
      setTimeout(() => res.end('ok'), 30);
    });
    const load = await start([url], { rate: 20, timeoutMs: 150, maxDurationMs: 60 });
    const reading = collect(load);
    await sleep(5); // the first request is out
    const blockedUntil = performance.now() + 400;
    while (performance.now() < blockedUntil) {
      // this process stalls well past the deadline; the server answered after 30 ms
    }
    await load.stop();
    const samples = await reading;
    expect(samples.length).toBeGreaterThanOrEqual(1);
    const first = samples.reduce((a, b) => (a.intendedStartMs <= b.intendedStartMs ? a : b));
    expect(first.outcome).toBe('ok');
    expect(first.endMs - first.startMs).toBeGreaterThan(150); // read late: the stall is ours, and shows as latency
  });

  it('bounds the whole exchange by timeoutMs, even when the body trickles in faster than bodyTimeout', async () => {
    const { url } = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let chunks = 0;
      const drip = setInterval(() => {
        chunks++;
        if (chunks >= 40 || res.destroyed) {
          clearInterval(drip);
          res.end();
        } else res.write('x');
      }, 50);
      res.on('close', () => clearInterval(drip));
    });
    const { samples } = await runFor(
      await start([url], { rate: 10, maxDurationMs: 50, timeoutMs: 300 }),
      100,
    );
    expect(samples).toHaveLength(1);
    const [s] = samples as [Sample];
    expect(s.outcome).toBe('timeout');
    expect(s.status).toBe(200);
    expect(s.endMs - s.startMs).toBeGreaterThanOrEqual(290);
    expect(s.endMs - s.startMs).toBeLessThan(1500); // the drip alone would take 2 s
  });

  it('stops scheduling by itself after maxDurationMs', async () => {
    const server = await scripted();
    const { summary } = await runFor(await start([server.url], { rate: 100, maxDurationMs: 200 }), 400);
    expect(summary.stoppedAt - summary.startedAt).toBe(200);
    expect(summary.scheduled).toBe(20);
    expect(server.stats.requests).toBe(20);
  });

  it('stops scheduling when the context is aborted', async () => {
    const server = await scripted();
    const abort = new AbortController();
    const load = await start([server.url], { rate: 100 }, testContext(abort.signal));
    await sleep(100);
    abort.abort();
    const abortedAt = systemClock.now();
    // Had scheduling gone on, these 300 ms would add about 30 requests.
    await sleep(300);
    const summary = await load.stop();
    // Scheduling ended in the abort itself, not in stop().
    expect(summary.stoppedAt).toBeLessThanOrEqual(abortedAt);
    expect(summary.stoppedAt).toBeGreaterThan(summary.startedAt);
    // Only requests intended before the abort were scheduled (request i is intended at startedAt + 10i).
    expect(summary.scheduled).toBeGreaterThanOrEqual(1);
    expect(summary.scheduled).toBeLessThanOrEqual(
      Math.floor((summary.stoppedAt - summary.startedAt) / 10) + 1,
    );
    expect(summary.sent).toBe(summary.scheduled);
    // Requests in flight at the abort still reach the server; nothing else does.
    expect(server.stats.requests).toBe(summary.sent);
  });

  it('picks endpoints by smooth weighted round-robin and round-robins base URLs', async () => {
    const a = await scripted();
    const b = await scripted();
    const endpoints: EndpointConfig[] = [
      { ...home, name: 'heavy', path: '/heavy', weight: 3 },
      { ...home, name: 'light', path: '/light', weight: 1 },
    ];
    const { samples } = await runFor(await start([a.url, `${b.url}/`], { rate: 100, endpoints }), 250);
    const order = [...samples].sort((x, y) => x.intendedStartMs - y.intendedStartMs).map((s) => s.endpoint);
    const pattern = ['heavy', 'heavy', 'light', 'heavy'];
    expect(order).toEqual(order.map((_e, i) => pattern[i % 4]));
    expect(Math.abs(a.stats.requests - b.stats.requests)).toBeLessThanOrEqual(1);
  });

  it('classifies statuses against expectStatus and reads the version from a JSON field', async () => {
    const { url } = await plainServer((req, res) => {
      const status = Number((req.url ?? '/').slice(1)) || 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ build: 'v7' }));
    });
    const endpoints: EndpointConfig[] = [200, 204, 503, 404, 302].map((status) => ({
      ...home,
      name: `s${status}`,
      path: `/${status}`,
      expectStatus: [200, 204],
    }));
    const { samples } = await runFor(
      await start([url], { rate: 100, endpoints, versionProbe: { jsonField: 'build' } }),
      120,
    );
    const byEndpoint = new Map(samples.map((s) => [s.endpoint, s]));
    expect(byEndpoint.get('s200')).toMatchObject({ outcome: 'ok', status: 200, version: 'v7' });
    expect(byEndpoint.get('s204')).toMatchObject({ outcome: 'ok', status: 204 });
    expect(byEndpoint.get('s503')).toMatchObject({ outcome: 'http_5xx', status: 503 });
    expect(byEndpoint.get('s404')).toMatchObject({ outcome: 'http_4xx', status: 404 });
    expect(byEndpoint.get('s302')).toMatchObject({ outcome: 'other', status: 302 });
  });

  it('buffers samples for a consumer that starts reading late', async () => {
    const server = await scripted();
    const { summary, samples } = await runFor(
      await start([server.url], { rate: 100, connections: ['reused', 'new'] }),
      200,
      true,
    );
    expect(samples.length).toBe(summary.sent);
    expect(new Set(samples.map((s) => s.sampler))).toEqual(new Set(['home:reused', 'home:new']));
  });

  it('writes uniquely keyed records and records the acknowledged keys in order', async () => {
    const server = await scripted();
    const load = await start([server.url], {
      rate: 20,
      writer: { path: '/items', rate: 50, readPath: '/items/{{key}}' },
    });
    const reading = collect(load);
    await sleep(250);
    expect(load.acknowledgedKeys().length).toBeGreaterThan(0);
    const summary = await load.stop();
    const samples = await reading;
    const writes = samples.filter((s) => s.endpoint === 'writer');
    expect(writes.length).toBeGreaterThanOrEqual(10);
    expect(writes.every((s) => s.outcome === 'ok' && s.status === 201 && s.endpointClass === 'write')).toBe(
      true,
    );
    expect(writes.every((s) => s.sampler === 'writer:reused')).toBe(true);
    expect(summary.acknowledgedKeys).toHaveLength(writes.length);
    expect(new Set(summary.acknowledgedKeys).size).toBe(writes.length);
    expect(summary.acknowledgedKeys[0]).toMatch(/run1.*cell-a/);
    for (const key of summary.acknowledgedKeys) expect(server.store.has(key)).toBe(true);
    expect(summary.targetRate).toBe(20 + 50);
  });

  it('rejects a profile it cannot run', async () => {
    await expect(start([], {})).rejects.toThrow(/baseUrls is empty/);
    await expect(start(['http://127.0.0.1:9'], { maxInFlight: 0 })).rejects.toThrow(/maxInFlight/);
  });
});
