import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { ProductError, UsageError } from '../../common/errors.js';
import { runCommand } from '../../common/exec.js';
import type { PlannedSteps } from '../../common/planned-steps.js';
import { pollUntil } from '../../common/poll.js';
import { redactDeep } from '../../common/redact.js';
import { expandArgv, expandRecord } from '../../common/template.js';
import type { Argv, ExecMethodConfig } from '../../config/types.js';
import { probeVersion } from '../../observe/version-probe.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import type { Installation, Method, MethodOptions } from '../method.js';

/**
 * Installs, upgrades and rolls back with the user's own commands (a script, Ansible, Terraform,
 * make), with `{{version}}` substituted, then waits until the target answers as that version.
 */
export class ExecMethod implements Method {
  readonly name = 'exec' as const;

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation> {
    const config = options.scenario.exec;
    if (!config)
      throw new UsageError(`scenario ${options.scenario.name} has no "exec" section for the exec method`);
    const endpoints = platform.endpoints();
    if (endpoints.length === 0)
      throw new UsageError(`the exec method needs a platform with endpoints (existing.urls)`);
    const installation = new ExecInstallation(config, endpoints, options, ctx);
    await installation.step('install', config.install, version, ctx);
    return installation;
  }

  plan(options: MethodOptions): PlannedSteps {
    const config = options.scenario.exec;
    if (!config)
      throw new UsageError(`scenario ${options.scenario.name} has no "exec" section for the exec method`);
    const { from, to } = options.cell.path;
    const axes = Object.fromEntries(Object.entries(options.cell.axes).map(([k, v]) => [`axes.${k}`, v]));
    const steps = (phase: string, commands: Argv[], version: string) =>
      commands.map((command) => ({ phase, argv: expandArgv(command, { version, step: phase, ...axes }) }));
    return {
      env: config.env,
      steps: [
        ...steps('install', config.install, from),
        { phase: 'install', note: `wait until ${options.scenario.readiness.path} answers as ${from}` },
        ...steps('upgrade', config.upgrade, to),
        { phase: 'upgrade', note: `wait until ${options.scenario.readiness.path} answers as ${to}` },
        ...steps('rollback', config.rollback, from),
      ],
    };
  }
}

class ExecInstallation implements Installation {
  readonly #history: Array<{ step: string; version: string; argv: string[]; exitCode: number; ms: number }> =
    [];
  readonly #logFile: string;

  constructor(
    readonly config: ExecMethodConfig,
    readonly endpoints: string[],
    readonly options: MethodOptions,
    ctx: RunContext,
  ) {
    this.#logFile = join(ctx.artifactDir, 'logs', 'exec.log');
  }

  upgrade(to: string, ctx: RunContext): Promise<void> {
    return this.step('upgrade', this.config.upgrade, to, ctx);
  }

  rollback(to: string, ctx: RunContext): Promise<void> {
    return this.step('rollback', this.config.rollback, to, ctx);
  }

  async step(step: string, commands: Argv[], version: string, ctx: RunContext): Promise<void> {
    await mkdir(join(ctx.artifactDir, 'logs'), { recursive: true });
    const vars = {
      version,
      step,
      ...Object.fromEntries(Object.entries(this.options.cell.axes).map(([k, v]) => [`axes.${k}`, v])),
    };
    const cwd = this.#cwd();
    for (const command of commands) {
      const argv = expandArgv(command, vars);
      ctx.event('exec', `${step}: ${argv.join(' ')}`);
      try {
        const result = await runCommand(argv, {
          cwd,
          env: expandRecord(this.config.env, vars),
          signal: ctx.signal,
          logFile: this.#logFile,
        });
        this.#history.push({
          step,
          version,
          argv,
          exitCode: result.exitCode,
          ms: Math.round(result.durationMs),
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw new ProductError(
          `${step} to ${version} failed: ${err instanceof Error ? err.message : String(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    await this.#waitForVersion(version, ctx);
  }

  async collectDiagnostics(dir: string): Promise<void> {
    await writeFile(
      join(dir, 'exec-history.json'),
      `${JSON.stringify(redactDeep(this.#history), null, 2)}\n`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // The user's commands own what they created; nothing of ours is left running.
  }

  #cwd(): string {
    const dir = this.config.cwd;
    if (!dir) return this.options.scenarioDir;
    return isAbsolute(dir) ? dir : resolve(this.options.scenarioDir, dir);
  }

  async #waitForVersion(version: string, ctx: RunContext): Promise<void> {
    const { scenario } = this.options;
    const probeVersionToo = Boolean(scenario.versionProbe.header || scenario.versionProbe.jsonField);
    for (const base of this.endpoints) {
      const url = `${base}${scenario.readiness.path}`;
      await pollUntil(
        async () => {
          const res = await probeVersion(url, scenario.versionProbe, { signal: ctx.signal });
          return res.status >= 200 && res.status < 300 && (!probeVersionToo || res.version === version);
        },
        {
          timeoutMs: scenario.timing.readyTimeoutSeconds * 1000,
          intervalMs: 200,
          signal: ctx.signal,
          what: `${url} to be ready and answer as ${version}`,
        },
      ).catch((err: unknown) => {
        if (ctx.signal.aborted) throw err;
        throw new ProductError(err instanceof Error ? err.message : String(err), { cause: err });
      });
    }
  }
}
