import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { ProductError, UsageError } from '../../common/errors.js';
import { runCommand } from '../../common/exec.js';
import { pollUntil } from '../../common/poll.js';
import { expandArgv, expandRecord } from '../../common/template.js';
import type {
  Argv,
  CellPlan,
  LocalMethodConfig,
  LocalPostgresServiceConfig,
  LocalProcessServiceConfig,
  LocalServiceConfig,
  ScenarioConfig,
} from '../../config/types.js';
import { probeVersion } from '../../observe/version-probe.js';
import { type FrontDoor, startFrontDoor } from '../../platforms/local/front-door.js';
import { asLocalPlatform, type StartedLocalPlatform } from '../../platforms/local/local-platform.js';
import { type StartedPostgres, startPostgres } from '../../platforms/local/postgres.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { type Installation, installOrDispose, type Method, type MethodOptions } from '../method.js';
import { ReplicaSet } from './replica-set.js';
import { rollout } from './rollout.js';

const isPostgres = (s: LocalServiceConfig): s is LocalPostgresServiceConfig => 'postgres' in s;

/** Runs the product as real processes on this machine, behind a front door the harness owns. */
export class LocalMethod implements Method {
  readonly name = 'local' as const;

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation> {
    const config = options.scenario.local;
    if (!config)
      throw new UsageError(`scenario ${options.scenario.name} has no "local" section for the local method`);
    return installOrDispose(
      new LocalInstallation(asLocalPlatform(platform, 'local'), config, options, ctx),
      (i) => i.install(version, ctx),
      options.beforeDispose,
    );
  }
}

class LocalInstallation implements Installation {
  readonly #databases: Array<{ name: string; db: StartedPostgres }> = [];
  readonly #vars: Record<string, string>;
  readonly #logsDir: string;
  #front: FrontDoor | undefined;
  #replicas: ReplicaSet | undefined;
  #disposed = false;

  constructor(
    readonly platform: StartedLocalPlatform,
    readonly config: LocalMethodConfig,
    readonly options: MethodOptions,
    ctx: RunContext,
  ) {
    this.#logsDir = join(ctx.artifactDir, 'logs');
    this.#vars = axisVars(options.cell);
  }

  get endpoints(): string[] {
    return this.#front ? [this.#front.url] : [];
  }

  get #scenario(): ScenarioConfig {
    return this.options.scenario;
  }

  async install(version: string, ctx: RunContext): Promise<void> {
    await mkdir(this.#logsDir, { recursive: true });
    for (const service of this.config.services.filter(isPostgres)) {
      const dataDir = join(this.platform.workDir, service.name);
      const db = await startPostgres({
        version: service.postgres.version,
        dataDir,
        database: service.postgres.database,
        logFile: join(this.#logsDir, `${service.name}.log`),
        runAs: this.platform.runAs,
        signal: ctx.signal,
        spawn: (argv, opts) => this.platform.processes.start(`postgres-${service.name}`, argv, opts),
      });
      this.#databases.push({ name: service.name, db });
      this.#vars[`services.${service.name}.url`] = db.url;
      ctx.event(
        'service-started',
        `${service.name}: PostgreSQL ${service.postgres.version} on port ${db.port}`,
      );
    }
    await this.#runHooks('install', this.config.hooks.install, version, ctx);
    const frontService = this.#frontService();
    this.#front = await startFrontDoor({ logger: ctx.logger, readinessPath: frontService.readinessPath });
    this.#replicas = new ReplicaSet({
      service: frontService,
      platform: this.platform,
      front: this.#front,
      scenarioDir: this.options.scenarioDir,
      logsDir: this.#logsDir,
      vars: this.#vars,
      readyTimeoutMs: this.#scenario.timing.readyTimeoutSeconds * 1000,
    });
    await rollout(this.#replicas, version, 'recreate', this.options.strategyOptions, ctx);
    await this.#waitForVersion(version, ctx);
    ctx.event(
      'installed',
      `${frontService.name} ${version} × ${frontService.replicas} behind ${this.#front.url}`,
    );
  }

  async upgrade(to: string, ctx: RunContext): Promise<void> {
    await this.#runHooks('preUpgrade', this.config.hooks.preUpgrade, to, ctx);
    await rollout(this.#set(), to, this.options.cell.strategy, this.options.strategyOptions, ctx);
    await this.#runHooks('postUpgrade', this.config.hooks.postUpgrade, to, ctx);
    await this.#waitForVersion(to, ctx);
  }

  async rollback(to: string, ctx: RunContext): Promise<void> {
    await rollout(this.#set(), to, this.options.cell.strategy, this.options.strategyOptions, ctx);
    await this.#waitForVersion(to, ctx);
  }

  async collectDiagnostics(dir: string): Promise<void> {
    const state = {
      frontDoor: this.#front ? { url: this.#front.url, backends: this.#front.backends() } : null,
      replicas: this.#replicas?.state() ?? [],
      databases: this.#databases.map(({ name, db }) => ({ name, port: db.port })),
    };
    await writeFile(join(dir, 'local-deployment.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    if (this.#front) await attempt(() => this.#front!.close());
    if (this.#replicas) {
      await attempt(() =>
        Promise.all(this.#replicas!.replicas.map((r) => r.process.stop({ graceMs: 3000 }))),
      );
    }
    for (const { db } of this.#databases.reverse()) await attempt(() => db.stop());
    if (errors.length > 0) throw new AggregateError(errors, 'local teardown had errors');
  }

  #frontService(): LocalProcessServiceConfig {
    const front = this.config.services.find((s): s is LocalProcessServiceConfig => !isPostgres(s) && s.front);
    if (!front) throw new UsageError('the local method needs one process service with front: true');
    return front;
  }

  #set(): ReplicaSet {
    if (!this.#replicas) throw new Error('not installed');
    return this.#replicas;
  }

  async #runHooks(name: string, hooks: Argv[], version: string, ctx: RunContext): Promise<void> {
    for (const hook of hooks) {
      const vars = { ...this.#vars, version };
      const argv = expandArgv(hook, vars);
      ctx.event('hook', `${name}: ${argv.join(' ')}`);
      try {
        await runCommand(argv, {
          cwd: this.options.scenarioDir,
          // Hooks (migrations) run with the front service's configuration, as they would from its image.
          env: expandRecord(this.#frontService().env, vars),
          signal: ctx.signal,
          logFile: join(this.#logsDir, 'hooks.log'),
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw new ProductError(`${name} hook failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
  }

  /** The front door answers readiness and says it is `version`. */
  async #waitForVersion(version: string, ctx: RunContext): Promise<void> {
    const url = `${this.endpoints[0]}${this.#scenario.readiness.path}`;
    await pollUntil(
      async () => {
        const res = await probeVersion(url, this.#scenario.versionProbe, { signal: ctx.signal });
        return res.status >= 200 && res.status < 300 && res.version === version;
      },
      {
        timeoutMs: this.#scenario.timing.readyTimeoutSeconds * 1000,
        intervalMs: 100,
        signal: ctx.signal,
        what: `${url} to answer as ${version}`,
      },
    );
  }
}

function axisVars(cell: CellPlan): Record<string, string> {
  return Object.fromEntries(Object.entries(cell.axes).map(([k, v]) => [`axes.${k}`, v]));
}
