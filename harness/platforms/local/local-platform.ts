import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import { redactDeep } from '../../common/redact.js';
import type { Platform, PlatformCreateOptions, StartedPlatform } from '../platform.js';
import { resolveRunAsUser } from './postgres.js';
import { ProcessGroup } from './process-group.js';

export interface RunAs {
  uid: number;
  gid: number;
}

/** This machine: a private work folder and a process group that dies with the cell. */
export class StartedLocalPlatform implements StartedPlatform {
  readonly name = 'local' as const;
  readonly processes = new ProcessGroup();
  #disposed = false;

  constructor(
    readonly id: string,
    /** Scratch space for data dirs; removed at teardown. */
    readonly workDir: string,
    /** The unprivileged user for programs that refuse root (PostgreSQL), when running as root. */
    readonly runAs: RunAs | undefined,
  ) {}

  endpoints(): string[] {
    return [];
  }

  async collectDiagnostics(dir: string): Promise<void> {
    const processes = this.processes.list().map(({ name, process }) => ({
      name,
      pid: process.pid,
      running: process.running,
      argv: process.argv,
    }));
    await writeFile(join(dir, 'local-processes.json'), `${JSON.stringify(redactDeep(processes), null, 2)}\n`);
  }

  /** Called after the installation's teardown (which stops PostgreSQL cleanly first). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // Every process (and its descendants) is gone before the folder they may write into is removed.
    await this.processes.stopAll(5000);
    await rm(this.workDir, { recursive: true, force: true });
  }
}

export class LocalPlatform implements Platform {
  readonly name = 'local' as const;

  async create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedLocalPlatform> {
    // Everything that can fail comes before the folder exists: nothing would remove it.
    const runAs = await resolveRunAsUser();
    const workDir = await mkdtemp(join(tmpdir(), `upgrade-harness-${options.cell.id.slice(0, 40)}-`));
    ctx.logger.info({ workDir, runAs }, 'local platform ready');
    return new StartedLocalPlatform(`${ctx.runId}/${ctx.cellId}`, workDir, runAs);
  }
}

export function asLocalPlatform(platform: StartedPlatform, method: string): StartedLocalPlatform {
  if (!(platform instanceof StartedLocalPlatform)) {
    throw new UsageError(`the ${method} method runs only on the local platform, not on "${platform.name}"`);
  }
  return platform;
}
