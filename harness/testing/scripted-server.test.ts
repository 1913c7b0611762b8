import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { ScriptedServer, type ScriptWindow } from './scripted-server.js';

const open: Array<ScriptedServer | Agent> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

async function server(...args: Parameters<typeof ScriptedServer.start>) {
  const s = await ScriptedServer.start(...args);
  open.push(s);
  return s;
}

/** One request on a fresh connection: the status, the version header, or the error code. */
async function probe(url: string, timeoutMs = 1000): Promise<string> {
  const agent = new Agent({ pipelining: 0 });
  open.push(agent);
  try {
    const res = await request(url, {
      dispatcher: agent,
      reset: true,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.body.json()) as { version: string };
    return `${res.statusCode} ${res.headers['x-app-version']} ${body.version}`;
  } catch (err: unknown) {
    const e = err as { code?: unknown; name?: string; cause?: { code?: string } };
    return (typeof e.code === 'string' ? e.code : undefined) ?? e.cause?.code ?? e.name ?? 'error';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Windows are long next to the probes' timing, so that a busy machine (this event loop also runs
// the server) cannot push a probe into the next window.

describe('ScriptedServer', () => {
  it('answers with its version by default', async () => {
    const s = await server({ initialVersion: '1.2.3' });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await probe(`${s.url}/x`)).toBe('200 1.2.3 1.2.3');
    expect(s.stats.connections).toBe(1);
  });

  it('refuses connections during a refuse window and listens again on the same port', async () => {
    const s = await server({ script: [{ mode: 'refuse', fromMs: 30, toMs: 1000 }] });
    const port = s.port;
    const t0 = systemClock.now();
    s.run(t0);
    await sleep(100);
    expect(await probe(s.url)).toBe('ECONNREFUSED');
    await s.scriptDone(2000);
    expect(s.port).toBe(port);
    expect(await probe(s.url)).toMatch(/^200 /);
    const start = s.transition(0, 'start');
    const end = s.transition(0, 'end');
    expect(start?.plannedAt).toBe(t0 + 30);
    expect(start?.at).toBeGreaterThanOrEqual(t0 + 30);
    expect(end?.at).toBeGreaterThanOrEqual(t0 + 1000);
    expect(s.errors).toEqual([]);
  });

  it('answers 503, hangs and resets in their windows', async () => {
    const s = await server({
      script: [
        { mode: '503', fromMs: 0, toMs: 600 },
        { mode: 'hang', fromMs: 600, toMs: 1200 },
        { mode: 'reset', fromMs: 1200, toMs: 1800 },
      ],
    });
    const t0 = systemClock.now();
    s.run(t0);
    await sleep(60);
    expect(await probe(s.url)).toBe('503 1.0.0 1.0.0');
    await sleep(Math.max(0, t0 + 660 - systemClock.now()));
    expect(await probe(s.url, 50)).toBe('TimeoutError');
    await sleep(Math.max(0, t0 + 1260 - systemClock.now()));
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(await probe(s.url));
    await sleep(Math.max(0, t0 + 1820 - systemClock.now()));
    expect(await probe(s.url)).toMatch(/^200 /);
    expect(s.stats).toMatchObject({ hung: 1, resets: 1 });
    expect(s.stats.byStatus[503]).toBe(1);
    expect(s.transitions.map((t) => `${t.mode}:${t.edge}`)).toEqual([
      '503:start',
      '503:end',
      'hang:start',
      'hang:end',
      'reset:start',
      'reset:end',
    ]);
  });

  it('fails every k-th request of each connection kind in an interleave window', async () => {
    const s = await server({ script: [{ mode: 'interleave', fromMs: 0, toMs: 60_000, every: 3 }] });
    s.run(systemClock.now() - 1);
    await sleep(5);
    const results: string[] = [];
    for (let i = 0; i < 9; i++) results.push((await probe(s.url)).split(' ')[0] as string);
    expect(results).toEqual(['200', '200', '503', '200', '200', '503', '200', '200', '503']);
    expect(s.stats.interleaved503).toBe(3);
  });

  it('serves both versions during a version window, then only the new one', async () => {
    const s = await server({ script: [{ mode: 'version', fromMs: 0, toMs: 1000, version: '2.0.0' }] });
    const t0 = systemClock.now();
    s.run(t0);
    await sleep(30);
    const during = new Set<string>();
    for (let i = 0; i < 4; i++) during.add(await probe(s.url));
    expect(during).toEqual(new Set(['200 1.0.0 1.0.0', '200 2.0.0 2.0.0']));
    await sleep(Math.max(0, t0 + 1020 - systemClock.now()));
    expect(await probe(s.url)).toBe('200 2.0.0 2.0.0');
    expect(s.currentVersion).toBe('2.0.0');
  });

  it('switches version at once without toMs', async () => {
    const s = await server({ script: [{ mode: 'version', fromMs: 0, version: '3.0.0' }] });
    s.run(systemClock.now());
    await s.scriptDone(1000);
    expect(s.transitions).toHaveLength(1);
    expect(await probe(s.url)).toBe('200 3.0.0 3.0.0');
  });

  it('answers correctly but late in a delay window, and on time after it', async () => {
    const s = await server({ script: [{ mode: 'delay', fromMs: 0, toMs: 600, delayMs: 200 }] });
    const t0 = systemClock.now();
    s.run(t0);
    await sleep(20);
    const before = performance.now();
    expect(await probe(s.url, 5000)).toBe('200 1.0.0 1.0.0');
    expect(performance.now() - before).toBeGreaterThanOrEqual(199);
    expect(s.stats.delayed).toBe(1);
    expect(s.stats.delayedMaxMs).toBeGreaterThanOrEqual(200);
    await s.scriptDone(5000);
    expect(await probe(s.url, 5000)).toBe('200 1.0.0 1.0.0');
    expect(s.stats.delayed).toBe(1);
    expect(s.stats.byStatus[200]).toBe(2);
  });

  it('sends the headers and half the body in a reset-mid window, then closes the connection', async () => {
    const s = await server({ script: [{ mode: 'reset-mid', fromMs: 0, toMs: 60_000 }] });
    s.run(systemClock.now() - 1);
    await sleep(5);
    const agent = new Agent();
    open.push(agent);
    const res = await request(`${s.url}/x`, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-app-version']).toBe('1.0.0');
    const declared = Number(res.headers['content-length']);
    let received = 0;
    const error = await (async () => {
      try {
        for await (const chunk of res.body) received += (chunk as Buffer).length;
        return null;
      } catch (err: unknown) {
        return err as { code?: string; message?: string };
      }
    })();
    expect(error?.code ?? error?.message).toMatch(/UND_ERR_SOCKET|ECONNRESET|other side closed/);
    expect(received).toBeLessThan(declared);
    expect(s.stats).toMatchObject({ requests: 1, midResponseResets: 1, byStatus: {} });
  });

  it('rejects a script it cannot run', async () => {
    await expect(
      ScriptedServer.start({ script: [{ mode: 'delay', fromMs: 0, toMs: 10, delayMs: -1 }] }),
    ).rejects.toThrow(/window 0 \(delay\): delayMs/);
    const noEnd = [{ mode: '503', fromMs: 0 }] as unknown as ScriptWindow[];
    await expect(ScriptedServer.start({ script: noEnd })).rejects.toThrow(/toMs is required/);
    await expect(
      ScriptedServer.start({ script: [{ mode: 'refuse', fromMs: 50, toMs: 10 }] }),
    ).rejects.toThrow(/toMs must be/);
  });

  it('stores POSTed keys and reads them back', async () => {
    const s = await server();
    const agent = new Agent();
    open.push(agent);
    const post = await request(`${s.url}/items`, {
      dispatcher: agent,
      method: 'POST',
      body: JSON.stringify({ key: 'a/1', title: 't' }),
    });
    await post.body.dump();
    expect(post.statusCode).toBe(201);
    const read = async (key: string) => {
      const res = await request(`${s.url}/items/${encodeURIComponent(key)}`, { dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    };
    expect(await read('a/1')).toBe(200);
    expect(await read('missing')).toBe(404);
    s.store.delete('a/1');
    expect(await read('a/1')).toBe(404);
  });
});
