import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, InfraError, TimeoutError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { pollUntil } from '../../common/poll.js';
import { type FrontDoor, type FrontDoorOptions, startFrontDoor } from './front-door.js';
import { endToEndHeaders, hasRequestBody, originFormPath } from './front-door-headers.js';
import { getOnNewConnection, startTestBackend, type TestBackend } from './front-door-test-backend.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function frontDoor(options: Partial<FrontDoorOptions> = {}): Promise<FrontDoor> {
  const door = await startFrontDoor({ logger: silentLogger(), readinessPath: '/healthz', ...options });
  cleanups.push(() => door.close());
  return door;
}

async function backend(version: string, ready = true): Promise<TestBackend> {
  const server = await startTestBackend(version, { ready });
  cleanups.push(() => server.kill());
  return server;
}

function keepAliveClient(door: FrontDoor): Pool {
  const pool = new Pool(door.url, { connections: 4 });
  cleanups.push(() => pool.destroy());
  return pool;
}

interface Answer {
  status: number;
  version: string | undefined;
  frontDoor: string | undefined;
  body: string;
  setCookie: string[];
}

async function get(
  pool: Pool,
  path = '/',
  init: { method?: 'GET' | 'POST'; body?: string; signal?: AbortSignal } = {},
) {
  const res = await pool.request({
    path,
    method: init.method ?? 'GET',
    body: init.body ?? null,
    signal: init.signal,
  });
  const header = (name: string) => {
    const value = res.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const cookies = res.headers['set-cookie'];
  const answer: Answer = {
    status: res.statusCode,
    version: header('x-app-version'),
    frontDoor: header('x-front-door'),
    body: await res.body.text(),
    setCookie: Array.isArray(cookies) ? cookies : cookies ? [cookies] : [],
  };
  return answer;
}

async function getMany(pool: Pool, count: number, path = '/'): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await get(pool, path));
  return answers;
}

const until = (what: string, check: () => boolean) =>
  pollUntil(async () => check(), { what, timeoutMs: 10_000, intervalMs: 5 });

describe('front door routing', () => {
  it('round-robins across ready backends and passes status, headers and host through', async () => {
    const [a, b] = [await backend('v1'), await backend('v2')];
    const door = await frontDoor();
    door.addBackend('a', a.url);
    door.addBackend('b', b.url);
    await Promise.all([door.waitReady('a', 10_000), door.waitReady('b', 10_000)]);
    const answers = await getMany(keepAliveClient(door), 10);
    expect(answers.map((x) => x.status)).toEqual(Array(10).fill(200));
    for (let i = 1; i < answers.length; i++) expect(answers[i]?.version).not.toBe(answers[i - 1]?.version);
    expect(answers.filter((x) => x.version === 'v1')).toHaveLength(5);
    expect(answers[0]?.setCookie).toEqual(['a=1', 'b=2']);
    expect(answers[0]?.body).toContain(`host=127.0.0.1:${door.port}`);
    expect(a.served + b.served).toBe(10);
  });

  it('sends no traffic to a backend until its probe passes, and stops when it fails', async () => {
    const [a, b] = [await backend('v1'), await backend('v2', false)];
    const door = await frontDoor({ readinessIntervalMs: 20 });
    door.addBackend('a', a.url);
    door.addBackend('b', b.url);
    await door.waitReady('a', 10_000);
    const client = keepAliveClient(door);
    expect((await getMany(client, 6)).map((x) => x.version)).toEqual(Array(6).fill('v1'));
    expect(b.served).toBe(0);
    expect(door.backends().find((x) => x.id === 'b')).toMatchObject({
      ready: false,
      draining: false,
      inFlight: 0,
    });

    b.ready = true;
    await door.waitReady('b', 10_000);
    expect(new Set((await getMany(client, 6)).map((x) => x.version))).toEqual(new Set(['v1', 'v2']));

    b.ready = false;
    await until('b out of rotation', () => door.backends().find((x) => x.id === 'b')?.ready === false);
    const servedBefore = b.served;
    expect((await getMany(client, 6)).map((x) => x.version)).toEqual(Array(6).fill('v1'));
    expect(b.served).toBe(servedBefore);
  });

  it('answers 503 when no backend is ready', async () => {
    const door = await frontDoor();
    const client = keepAliveClient(door);
    const none = await get(client);
    expect(none).toMatchObject({ status: 503, frontDoor: 'no-backend' });
    expect(none.body).toContain('no ready backend');

    door.addBackend('never', (await backend('v1', false)).url);
    expect(await get(client)).toMatchObject({ status: 503, frontDoor: 'no-backend' });
  });

  it('streams request bodies both ways', async () => {
    const door = await frontDoor();
    door.addBackend('a', (await backend('v1')).url);
    await door.waitReady('a', 10_000);
    const body = 'x'.repeat(300_000);
    const echoed = await get(keepAliveClient(door), '/echo', { method: 'POST', body });
    expect(echoed.status).toBe(200);
    expect(echoed.body).toBe(body);
  });

  it('answers 504 when the upstream does not answer in time, and aborts it', async () => {
    const a = await backend('v1');
    const door = await frontDoor({ upstreamTimeoutMs: 200 });
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);
    expect(await get(keepAliveClient(door), '/hang')).toMatchObject({
      status: 504,
      frontDoor: 'upstream-timeout',
    });
    await until('backend sees the aborted request', () => a.aborted === 1);
  });

  it('aborts the upstream request when the client goes away', async () => {
    const a = await backend('v1');
    const door = await frontDoor();
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);
    const abort = new AbortController();
    const pending = get(keepAliveClient(door), '/hang', { signal: abort.signal });
    await until('backend got the request', () => a.served === 1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await until('backend sees the abort', () => a.aborted === 1);
    await until('nothing in flight', () => door.backends()[0]?.inFlight === 0);
  });

  it('rejects duplicate ids', async () => {
    const door = await frontDoor();
    door.addBackend('a', 'http://127.0.0.1:9');
    expect(() => door.addBackend('a', 'http://127.0.0.1:9')).toThrow(InfraError);
  });
});

describe('waitReady', () => {
  it('times out naming the backend, and honours the signal', async () => {
    const door = await frontDoor();
    door.addBackend('slowpoke', (await backend('v1', false)).url);
    const timedOut = door.waitReady('slowpoke', 150);
    await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
    await expect(timedOut).rejects.toThrow(/slowpoke.*HTTP 503/);

    const abort = new AbortController();
    const aborted = door.waitReady('slowpoke', 10_000, abort.signal);
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    await expect(door.waitReady('nobody', 100)).rejects.toBeInstanceOf(InfraError);
  });
});

describe('front door removal and failure', () => {
  it('lets in-flight requests finish before removeBackend resolves', async () => {
    const a = await backend('v1');
    const door = await frontDoor();
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);
    const client = keepAliveClient(door);
    const events: string[] = [];
    const inFlight = Array.from({ length: 4 }, () =>
      get(client, '/gate').then((x) => {
        events.push('answered');
        return x;
      }),
    );
    await until('backend holds 4 requests', () => a.served === 4);
    const removal = door.removeBackend('a', { drainTimeoutMs: 10_000 }).then(() => events.push('removed'));
    expect(door.backends()).toEqual([{ id: 'a', url: a.url, ready: true, draining: true, inFlight: 4 }]);
    expect(await get(keepAliveClient(door))).toMatchObject({ status: 503, frontDoor: 'no-backend' });
    expect(a.served).toBe(4);
    // Several probe periods pass; the drain must still be waiting for the held requests.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual([]);

    a.openGate();
    const answers = await Promise.all(inFlight);
    await removal;
    expect(answers.map((x) => [x.status, x.body])).toEqual(Array(4).fill([200, 'v1 through the gate']));
    expect(events.sort()).toEqual(['answered', 'answered', 'answered', 'answered', 'removed']);
    expect(door.backends()).toEqual([]);
  });

  it('stops waiting after drainTimeoutMs and answers 502 for what was still in flight', async () => {
    const a = await backend('v1');
    const door = await frontDoor();
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);
    const held = get(keepAliveClient(door), '/gate');
    await until('backend holds the request', () => a.served === 1);
    await door.removeBackend('a', { drainTimeoutMs: 100 });
    expect(door.backends()).toEqual([]);
    expect(await held).toMatchObject({ status: 502, frontDoor: 'upstream-error' });
    await until('backend sees the abort', () => a.aborted === 1);
  });

  it('gives 502 for a backend that died abruptly until its probe takes it out', async () => {
    const [a, b] = [await backend('v1'), await backend('v2')];
    const door = await frontDoor({ readinessIntervalMs: 300, failureThreshold: 3 });
    door.addBackend('a', a.url);
    door.addBackend('b', b.url);
    await Promise.all([door.waitReady('a', 10_000), door.waitReady('b', 10_000)]);
    const client = keepAliveClient(door);
    await getMany(client, 4);

    await a.kill();
    const during: Answer[] = [];
    while (during.length < 50 && !during.some((x) => x.status === 502)) during.push(await get(client));
    expect(during.find((x) => x.status === 502)).toMatchObject({ frontDoor: 'upstream-error' });
    expect(during.filter((x) => x.status !== 502).map((x) => x.version)).not.toContain('v1');

    await until('a out of rotation', () => door.backends().find((x) => x.id === 'a')?.ready === false);
    const after = await getMany(client, 10);
    expect(after.map((x) => [x.status, x.version])).toEqual(Array(10).fill([200, 'v2']));
  });
});

describe('front door close', () => {
  it('closes the listener, client connections, probes and pools; idempotent', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const a = await backend('v1');
    const door = await startFrontDoor({ logger: silentLogger(), readinessPath: '/healthz' });
    door.addBackend('a', a.url);
    await door.waitReady('a', 10_000);
    const client = keepAliveClient(door);
    expect((await get(client)).status).toBe(200);

    await Promise.all([door.close(), door.close()]);
    await door[Symbol.asyncDispose]();
    await expect(getOnNewConnection(door.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(door.backends()).toEqual([]);
    await client.destroy();
    await a.kill();
    await new Promise((resolve) => setImmediate(resolve));
    const timersAfter = process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });
});

describe('front door headers', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    const headers = endToEndHeaders({
      connection: 'keep-alive, X-Trace',
      'keep-alive': 'timeout=5',
      'x-trace': '1',
      'transfer-encoding': 'chunked',
      expect: '100-continue',
      'x-app-version': 'v1',
      'set-cookie': ['a=1', 'b=2'],
      host: 'example.test',
      absent: undefined,
    });
    expect(headers).toEqual({ 'x-app-version': 'v1', 'set-cookie': ['a=1', 'b=2'], host: 'example.test' });
  });

  it('knows when a request has a body and turns absolute URLs into paths', () => {
    expect(hasRequestBody({ 'content-length': '0' })).toBe(false);
    expect(hasRequestBody({ 'content-length': '12' })).toBe(true);
    expect(hasRequestBody({ 'transfer-encoding': 'chunked' })).toBe(true);
    expect(hasRequestBody({})).toBe(false);
    expect(originFormPath('http://127.0.0.1:80/a/b?c=1')).toBe('/a/b?c=1');
    expect(originFormPath('/x?y')).toBe('/x?y');
    expect(originFormPath(undefined)).toBe('/');
  });
});
