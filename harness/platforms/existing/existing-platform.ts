import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';
import type { Platform, PlatformCreateOptions, StartedPlatform } from '../platform.js';

/** Something already running that the harness does not create or destroy: it only sends traffic to its URLs. */
export class StartedExistingPlatform implements StartedPlatform {
  readonly name = 'existing' as const;

  constructor(
    readonly id: string,
    readonly urls: string[],
  ) {}

  endpoints(): string[] {
    return this.urls;
  }

  async collectDiagnostics(dir: string): Promise<void> {
    await writeFile(
      join(dir, 'existing-target.json'),
      `${redact(JSON.stringify({ urls: this.urls }, null, 2))}\n`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Nothing to remove: the harness created nothing here.
  }
}

export class ExistingPlatform implements Platform {
  readonly name = 'existing' as const;

  async create(options: PlatformCreateOptions, ctx: RunContext): Promise<StartedExistingPlatform> {
    const urls = options.scenario.existing?.urls ?? [];
    if (urls.length === 0) {
      throw new UsageError(`scenario ${options.scenario.name}: the existing platform needs existing.urls`);
    }
    ctx.logger.info({ urls: urls.map(redact) }, 'existing target');
    return new StartedExistingPlatform(
      `${ctx.runId}/${ctx.cellId}`,
      urls.map((u) => u.replace(/\/+$/, '')),
    );
  }
}
