import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { ScriptedServerProcess } from './scripted-server-process.js';

const open: Array<ScriptedServerProcess | Agent> = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

async function server(...args: Parameters<typeof ScriptedServerProcess.start>) {
  const s = await ScriptedServerProcess.start(...args);
  open.push(s);
  return s;
}

/** One request on a fresh connection: the status and version, or the error code. */
async function probe(url: string): Promise<string> {
  const agent = new Agent({ pipelining: 0 });
  open.push(agent);
  try {
    const res = await request(url, { dispatcher: agent, reset: true, signal: AbortSignal.timeout(5000) });
    await res.body.dump();
    return `${res.statusCode} ${res.headers['x-app-version']}`;
  } catch (err: unknown) {
    const e = err as { code?: unknown; cause?: { code?: string } };
    return (typeof e.code === 'string' ? e.code : undefined) ?? e.cause?.code ?? 'error';
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ScriptedServerProcess', () => {
  it('serves from a child process and reports its script on the test clock', async () => {
    const s = await server({
      initialVersion: '1.0.0',
      script: [
        { mode: 'refuse', fromMs: 150, toMs: 300 },
        { mode: 'version', fromMs: 300, version: '2.0.0' },
      ],
    });
    expect(s.pid).not.toBe(process.pid);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Loopback round trips take well under a second even on a busy machine.
    expect(s.clockSync.uncertaintyMs).toBeLessThan(1000);
    expect(await probe(s.url)).toBe('200 1.0.0');
    const t0 = systemClock.now();
    await s.run(t0);
    const state = await s.scriptDone(10_000);
    expect(state.transitions.map((t) => `${t.window}:${t.mode}:${t.edge}`)).toEqual([
      '0:refuse:start',
      '0:refuse:end',
      '1:version:start',
    ]);
    const slack = s.clockSync.uncertaintyMs + 0.01;
    for (const t of state.transitions) {
      const planned = t0 + (t.window === 0 && t.edge === 'start' ? 150 : 300);
      expect(t.plannedAt).toBeCloseTo(planned, 2);
      // never before the planned time (the child waits for it on its own clock)
      expect(t.at).toBeGreaterThanOrEqual(planned - slack);
    }
    expect(await probe(s.url)).toBe('200 2.0.0');
    expect(state.errors).toEqual([]);
    const after = await s.state();
    expect(after.stats.requests).toBe(2);
    expect(after.stats.byVersion).toEqual({ '1.0.0': 1, '2.0.0': 1 });
    expect(after.currentVersion).toBe('2.0.0');
  });

  it('measures the refusal window as the child saw it while this process is blocked', async () => {
    const s = await server({ script: [{ mode: 'refuse', fromMs: 50, toMs: 150 }] });
    const t0 = systemClock.now();
    await s.run(t0);
    // Block this event loop across both edges: an in-process server would move them past the block.
    const until = performance.now() + 1000;
    while (performance.now() < until) {
      // busy
    }
    const blockedUntil = systemClock.now();
    const state = await s.scriptDone(10_000);
    const slack = s.clockSync.uncertaintyMs + 0.01;
    expect(state.transitions.map((t) => t.edge)).toEqual(['start', 'end']);
    for (const t of state.transitions) {
      expect(t.at).toBeGreaterThanOrEqual(t.plannedAt - slack);
      expect(t.at).toBeLessThan(blockedUntil - 500);
    }
  });

  it('fails scriptDone loudly when edges are missing, and stops the child on close', async () => {
    const s = await server({ script: [{ mode: '503', fromMs: 0, toMs: 100 }] });
    await expect(s.scriptDone(100)).rejects.toThrow(/0 of 2 edges/);
    const pid = s.pid;
    await s.close();
    await s.close();
    expect(alive(pid)).toBe(false);
  });

  it('says why when the child cannot start', async () => {
    await expect(
      ScriptedServerProcess.start({ script: [], maxLifetimeMs: -1, startTimeoutMs: 20_000 }),
    ).rejects.toThrow(/exited \(code 1.*maxLifetimeMs must be a positive number/s);
    await expect(
      ScriptedServerProcess.start({ script: [{ mode: 'delay', fromMs: 0, toMs: 10, delayMs: Number.NaN }] }),
    ).rejects.toThrow(/exited \(code 1.*script window 0 \(delay\): delayMs/s);
  });
});
