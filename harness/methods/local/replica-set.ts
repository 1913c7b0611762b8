import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { InfraError, ProductError, TimeoutError } from '../../common/errors.js';
import type { ManagedProcess } from '../../common/exec.js';
import { pollUntil } from '../../common/poll.js';
import { freePort } from '../../common/ports.js';
import { expandArgv, expandRecord } from '../../common/template.js';
import type { LocalProcessServiceConfig } from '../../config/types.js';
import { probeVersion } from '../../observe/version-probe.js';
import type { FrontDoor } from '../../platforms/local/front-door.js';
import type { StartedLocalPlatform } from '../../platforms/local/local-platform.js';

export interface Replica {
  readonly id: string;
  readonly version: string;
  readonly url: string;
  readonly process: ManagedProcess;
  ready: boolean;
  /** Settles when the replica is in rotation; rejects with ProductError when it never gets there. */
  readonly whenReady: Promise<void>;
}

export interface ReplicaSetOptions {
  service: LocalProcessServiceConfig;
  platform: StartedLocalPlatform;
  front: FrontDoor;
  scenarioDir: string;
  logsDir: string;
  /** Template variables shared by every replica (service URLs, axes). */
  vars: Record<string, string>;
  readyTimeoutMs: number;
}

/** The replicas of the front service, each a real process registered with the front door. */
export class ReplicaSet {
  readonly replicas: Replica[] = [];
  #serial = 0;

  constructor(readonly options: ReplicaSetOptions) {}

  get desired(): number {
    return this.options.service.replicas;
  }

  /**
   * Starts one replica of `version` and puts it behind the front door (it serves once ready). A
   * `standby` replica is probed directly and gets no traffic until `activate` (blue-green).
   */
  async start(version: string, ctx: RunContext, { standby = false } = {}): Promise<Replica> {
    const { service, platform, front, scenarioDir, logsDir, vars } = this.options;
    this.#serial += 1;
    const id = `${service.name}-${version}-${this.#serial}`;
    const port = await freePort();
    const replicaVars = { ...vars, version, port: String(port), replica: String(this.#serial) };
    const argv = expandArgv(service.command, replicaVars);
    const env = { ...expandRecord(service.env, replicaVars), PORT: String(port) };
    const process = await platform.processes.start(id, argv, {
      cwd: scenarioDir,
      env,
      logFile: join(logsDir, `${id}.log`),
    });
    const url = `http://127.0.0.1:${port}`;
    if (!standby) front.addBackend(id, url);
    ctx.event(
      'replica-started',
      `${id} started on ${url}${standby ? ' as standby' : ''} (pid ${process.pid})`,
    );
    const whenReady = this.#watchReadiness(id, process, ctx, standby ? url : undefined);
    const replica: Replica = { id, version, url, process, ready: false, whenReady };
    whenReady.then(
      () => {
        replica.ready = true;
        ctx.event('replica-ready', `${id} ready`);
      },
      () => undefined,
    );
    this.replicas.push(replica);
    return replica;
  }

  /** Puts a standby replica into rotation; resolves once the front door routes to it. */
  async activate(replica: Replica, ctx: RunContext): Promise<void> {
    this.options.front.addBackend(replica.id, replica.url);
    await this.options.front.waitReady(replica.id, this.options.readyTimeoutMs, ctx.signal);
  }

  async #watchReadiness(
    id: string,
    process: ManagedProcess,
    ctx: RunContext,
    standbyUrl?: string,
  ): Promise<void> {
    const { front, readyTimeoutMs, service } = this.options;
    const exited = process.exited.then(async (exit) => {
      const what = `replica ${id} exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) before it became ready; see logs/${id}.log`;
      // The port was free when we picked it; another program took it first. Not the product's fault.
      const log = await readFile(join(this.options.logsDir, `${id}.log`), 'utf8').catch(() => '');
      if (log.includes('EADDRINUSE')) throw new InfraError(`${what} (its port was taken by another program)`);
      throw new ProductError(what);
    });
    try {
      const ready = standbyUrl
        ? pollUntil(() => isReady(`${standbyUrl}${service.readinessPath}`, ctx.signal), {
            timeoutMs: readyTimeoutMs,
            intervalMs: 100,
            signal: ctx.signal,
            what: `${id} to become ready`,
          })
        : front.waitReady(id, readyTimeoutMs, ctx.signal);
      await Promise.race([ready, exited]);
    } catch (err) {
      if (err instanceof TimeoutError) {
        throw new ProductError(
          `replica ${id} did not become ready within ${readyTimeoutMs / 1000} s (readiness ${service.readinessPath}); see logs/${id}.log`,
        );
      }
      throw err;
    }
  }

  /** Takes a replica out of rotation, lets its requests finish, then stops its process. */
  async stop(replica: Replica, ctx: RunContext): Promise<void> {
    const index = this.replicas.indexOf(replica);
    if (index >= 0) this.replicas.splice(index, 1);
    await this.options.front.removeBackend(replica.id, {
      drainTimeoutMs: this.options.service.stopGraceSeconds * 1000,
    });
    const exit = await replica.process.stop({ graceMs: this.options.service.stopGraceSeconds * 1000 });
    ctx.event(
      'replica-stopped',
      `${replica.id} stopped (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`,
    );
  }

  async stopAll(ctx: RunContext): Promise<void> {
    await Promise.all([...this.replicas].map((r) => this.stop(r, ctx)));
  }

  state(): Array<{
    id: string;
    version: string;
    url: string;
    pid: number;
    running: boolean;
    ready: boolean;
  }> {
    return this.replicas.map((r) => ({
      id: r.id,
      version: r.version,
      url: r.url,
      pid: r.process.pid,
      running: r.process.running,
      ready: r.ready,
    }));
  }
}

async function isReady(url: string, signal: AbortSignal): Promise<boolean> {
  const res = await probeVersion(url, {}, { signal, timeoutMs: 1000 });
  return res.status >= 200 && res.status < 300;
}
