import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { type Clock, systemClock } from '../common/clock.js';
import { type ManagedProcess, startProcess } from '../common/exec.js';
import type { ScriptedServerState, ScriptWindow } from './scripted-server.js';
import type { ScriptedServerMainConfig, ScriptedServerReady } from './scripted-server-main.js';

export interface ScriptedServerProcessOptions {
  script?: ScriptWindow[];
  initialVersion?: string;
  /** The test's clock: `run(t0)` takes and `state()` gives times on it. */
  clock?: Clock;
  /** How long the child may take to start listening (node + tsx start in ~0.5 s, slower on a busy box). */
  startTimeoutMs?: number;
  /** The child exits by itself after this, even if never stopped. */
  maxLifetimeMs?: number;
}

/** How the child's clock relates to the test's: child time = test time + offsetMs (± uncertaintyMs). */
export interface ClockSync {
  offsetMs: number;
  /** Half the round trip of the best `GET /now`: the true offset lies within ± this. */
  uncertaintyMs: number;
}

const PINGS = 9;

/**
 * A ScriptedServer (same HTTP behaviour and script) in a child process with its own event loop, so
 * a busy test process cannot delay the script's edges. The ground truth (`state().transitions`) is
 * what the child recorded, translated to the test's clock by a ping-measured offset.
 */
export class ScriptedServerProcess implements AsyncDisposable {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly child: ManagedProcess,
    private readonly agent: Agent,
    private readonly controlUrl: string,
    private readonly workDir: string,
    private readonly clock: Clock,
    private readonly edges: number,
    readonly port: number,
    private sync: ClockSync,
  ) {}

  static async start(options: ScriptedServerProcessOptions = {}): Promise<ScriptedServerProcess> {
    const clock = options.clock ?? systemClock;
    const script = options.script ?? [];
    const config: ScriptedServerMainConfig = {
      script,
      maxLifetimeMs: options.maxLifetimeMs ?? 300_000,
      ...(options.initialVersion === undefined ? {} : { initialVersion: options.initialVersion }),
    };
    const workDir = await mkdtemp(join(tmpdir(), 'scripted-server-'));
    const logFile = join(workDir, 'child.log');
    const main = fileURLToPath(new URL('./scripted-server-main.ts', import.meta.url));
    let onReady: (ready: ScriptedServerReady) => void = () => undefined;
    const ready = new Promise<ScriptedServerReady>((resolve) => {
      onReady = resolve;
    });
    let child: ManagedProcess | null = null;
    try {
      // `--import tsx` resolves from cwd: the child runs beside this file, inside the project.
      child = await startProcess([process.execPath, '--import', 'tsx', main, JSON.stringify(config)], {
        cwd: dirname(main),
        logFile,
        onStdoutLine: (line) => {
          try {
            const parsed = JSON.parse(line) as Partial<ScriptedServerReady>;
            if (typeof parsed.port === 'number' && typeof parsed.controlPort === 'number') {
              onReady({ port: parsed.port, controlPort: parsed.controlPort });
            }
          } catch {
            // not the ready line
          }
        },
      });
      const timeoutMs = options.startTimeoutMs ?? 20_000;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        ready,
        child.exited.then((exit) => `exited (code ${exit.code}, signal ${exit.signal})`),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`did not listen within ${timeoutMs} ms`), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (typeof outcome === 'string') {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        throw new Error(`scripted server process ${outcome}:\n${log.slice(-2000)}`);
      }
      const agent = new Agent({ keepAliveTimeout: 60_000 });
      const controlUrl = `http://127.0.0.1:${outcome.controlPort}`;
      const s = new ScriptedServerProcess(
        child,
        agent,
        controlUrl,
        workDir,
        clock,
        script.reduce((n, w) => n + (w.toMs === undefined ? 1 : 2), 0),
        outcome.port,
        { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY },
      );
      s.sync = await s.measureClock();
      return s;
    } catch (err: unknown) {
      await child?.stop({ graceMs: 2000 });
      await rm(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid;
  }

  get clockSync(): ClockSync {
    return { ...this.sync };
  }

  /** Arms the script with window times relative to `t0` (epoch ms on the test's clock). */
  async run(t0: number): Promise<void> {
    await this.call('POST', '/run', { t0: t0 + this.sync.offsetMs });
  }

  /** What the server did so far; transition times are on the test's clock. */
  async state(): Promise<ScriptedServerState> {
    const state = (await this.call('GET', '/state')) as ScriptedServerState;
    const offset = this.sync.offsetMs;
    state.transitions = state.transitions.map((t) => ({
      ...t,
      at: t.at - offset,
      plannedAt: t.plannedAt - offset,
    }));
    return state;
  }

  /** The state once every edge of the script took effect; throws when that takes over `timeoutMs`. */
  async scriptDone(timeoutMs: number): Promise<ScriptedServerState> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const state = await this.state();
      if (state.transitions.length >= this.edges) return state;
      if (performance.now() > deadline) {
        throw new Error(
          `scripted server: ${state.transitions.length} of ${this.edges} edges took effect within ${timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the child (SIGTERM, then SIGKILL) and removes its work folder. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.agent.close().catch(() => undefined);
      await this.child.stop({ graceMs: 2000 });
      await rm(this.workDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Best of PINGS round trips: the child's `now` was taken about halfway through the shortest one. */
  private async measureClock(): Promise<ClockSync> {
    let best: ClockSync = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < PINGS; i++) {
      const before = this.clock.now();
      const { now } = (await this.call('GET', '/now')) as { now: number };
      const after = this.clock.now();
      const half = (after - before) / 2;
      if (half < best.uncertaintyMs) best = { offsetMs: now - (before + half), uncertaintyMs: half };
    }
    return best;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await request(this.controlUrl + path, {
      method,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300)
      throw new Error(`scripted server ${method} ${path}: ${res.statusCode} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}
