import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../common/context.js';
import { errorMessage, isAbortError, ProductError, UsageError } from '../../common/errors.js';
import { redact, redactDeep } from '../../common/redact.js';
import type { PostgresMethodConfig } from '../../config/types.js';
import { asLocalPlatform, type StartedLocalPlatform } from '../../platforms/local/local-platform.js';
import {
  POSTGRES_VERSIONS,
  PostgresPortInUseError,
  postgresBinaries,
  postgresMajor,
  type StartedPostgres,
  type StartPostgresOptions,
  startPostgres,
  withPostgresClient,
} from '../../platforms/local/postgres.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { type Installation, installOrDispose, type Method, type MethodOptions } from '../method.js';
import { collectServerFacts } from './server-facts.js';

const LOG_TAIL_LINES = 200;

/**
 * PostgreSQL itself is the product. Install creates a cluster at version N; upgrade and rollback
 * swap the binaries of a minor version the way a package upgrade does: fast shutdown, then the
 * same data directory started by the other version's binaries, on the same port.
 */
export class PostgresMethod implements Method {
  readonly name = 'postgres' as const;

  async install(
    platform: StartedPlatform,
    version: string,
    options: MethodOptions,
    ctx: RunContext,
  ): Promise<Installation> {
    const config = options.scenario.postgres;
    if (!config) {
      throw new UsageError(
        `scenario ${options.scenario.name} has no "postgres" section for the postgres method`,
        'add "postgres: {}" for the defaults',
      );
    }
    const local = asLocalPlatform(platform, 'postgres');
    await checkVersion(version);
    return installOrDispose(
      new PostgresInstallation(local, config, options, ctx),
      (i) => i.install(version, ctx),
      options.beforeDispose,
    );
  }
}

/** Exact versions only: the server reports one (`17.9`), and the samples are attributed by it. */
async function checkVersion(version: string): Promise<void> {
  if (postgresMajor(version) === version) {
    throw new UsageError(
      `the postgres method needs an exact PostgreSQL version such as 17.9, not "${version}"`,
      `known versions: ${POSTGRES_VERSIONS.filter((v) => postgresMajor(v) !== v).join(', ')}`,
    );
  }
  await postgresBinaries(version);
}

interface Step {
  step: 'install' | 'upgrade' | 'rollback';
  version: string;
  serverVersion?: string;
  stopMs?: number;
  startMs?: number;
  error?: string;
}

class PostgresInstallation implements Installation {
  readonly endpoints: string[] = [];
  readonly #history: Step[] = [];
  readonly #dataDir: string;
  readonly #logFile: string;
  #server: StartedPostgres | undefined;
  /** Fixed by the cluster that install created: every later start reuses them. */
  #cluster: { major: string; port: number; password: string; user: string } | undefined;
  #disposed = false;

  constructor(
    readonly platform: StartedLocalPlatform,
    readonly config: PostgresMethodConfig,
    readonly options: MethodOptions,
    ctx: RunContext,
  ) {
    this.#dataDir = join(platform.workDir, 'postgres');
    this.#logFile = join(ctx.artifactDir, 'logs', 'postgres.log');
  }

  async install(version: string, ctx: RunContext): Promise<void> {
    await mkdir(join(ctx.artifactDir, 'logs'), { recursive: true });
    const server = await startPostgres(this.#startOptions(version, ctx));
    this.#server = server;
    this.#cluster = {
      major: postgresMajor(version),
      port: server.port,
      password: server.password,
      user: server.user,
    };
    this.endpoints.push(server.url);
    const record: Step = {
      step: 'install',
      version,
      serverVersion: server.serverVersion,
      startMs: Math.round(server.timings.initdbMs + server.timings.startMs),
    };
    this.#history.push(record);
    ctx.event(
      'postgres-started',
      `PostgreSQL ${server.serverVersion}: new cluster (initdb ${Math.round(server.timings.initdbMs)} ms), ` +
        `started on port ${server.port} in ${Math.round(server.timings.startMs)} ms`,
    );
    expectVersion(server, version, record);
    await this.#runSetup(server, record);
    ctx.event('installed', `PostgreSQL ${version}, database ${this.config.database}`);
  }

  upgrade(to: string, ctx: RunContext): Promise<void> {
    return this.#swap('upgrade', to, ctx);
  }

  rollback(to: string, ctx: RunContext): Promise<void> {
    return this.#swap('rollback', to, ctx);
  }

  async collectDiagnostics(dir: string): Promise<void> {
    const log = await readFile(this.#logFile, 'utf8').catch(() => '');
    const tail = log.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    await writeFile(join(dir, 'postgres-log-tail.txt'), `${redact(tail)}\n`);
    const server = this.#server;
    const state = {
      dataDir: this.#dataDir,
      port: this.#cluster?.port ?? null,
      database: this.config.database,
      running: server?.process.running ?? false,
      history: this.#history,
      server: server?.process.running ? await collectServerFacts(server.url, this.config.database) : null,
    };
    await writeFile(join(dir, 'postgres.json'), `${JSON.stringify(redactDeep(state), null, 2)}\n`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#server?.stop();
  }

  async #swap(step: 'upgrade' | 'rollback', to: string, ctx: RunContext): Promise<void> {
    const cluster = this.#cluster;
    if (!cluster || this.#disposed) throw new Error(`cannot ${step}: PostgreSQL is not installed`);
    if (postgresMajor(to) !== cluster.major) {
      throw new UsageError(
        `cannot ${step} to PostgreSQL ${to}: the cluster is PostgreSQL ${cluster.major}, and a ` +
          'major-version change needs pg_upgrade (or a dump and restore), not a binary swap',
        `the postgres method moves between minor versions of one major version (known: ${POSTGRES_VERSIONS.join(', ')})`,
      );
    }
    await checkVersion(to);
    const record: Step = { step, version: to };
    this.#history.push(record);
    const old = this.#server;
    if (old) {
      const t0 = performance.now();
      await old.stop();
      record.stopMs = Math.round(performance.now() - t0);
      this.#server = undefined;
      ctx.event('postgres-stopped', `PostgreSQL ${old.serverVersion}: fast shutdown in ${record.stopMs} ms`);
    }
    const t0 = performance.now();
    try {
      this.#server = await startPostgres({
        ...this.#startOptions(to, ctx),
        user: cluster.user,
        password: cluster.password,
        port: cluster.port,
      });
    } catch (err) {
      record.error = errorMessage(err);
      if (isAbortError(err) || ctx.signal.aborted) throw err;
      // The harness could not give it its port: not the product's fault.
      if (err instanceof PostgresPortInUseError || err instanceof UsageError) throw err;
      throw new ProductError(
        `PostgreSQL ${to} did not come up on the data directory (${step}): ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const server = this.#server;
    record.startMs = Math.round(performance.now() - t0);
    record.serverVersion = server.serverVersion;
    ctx.event(
      'postgres-started',
      `PostgreSQL ${server.serverVersion}: started on the same data directory and port ${server.port} in ${record.startMs} ms`,
    );
    expectVersion(server, to, record);
  }

  #startOptions(version: string, ctx: RunContext): StartPostgresOptions {
    return {
      version,
      dataDir: this.#dataDir,
      database: this.config.database,
      logFile: this.#logFile,
      runAs: this.platform.runAs,
      readyTimeoutMs: this.options.scenario.timing.readyTimeoutSeconds * 1000,
      signal: ctx.signal,
      // Through the platform's group: its teardown kills the postmaster whatever happens here.
      spawn: (argv, opts) => this.platform.processes.start('postgres', argv, opts),
    };
  }

  async #runSetup(server: StartedPostgres, record: Step): Promise<void> {
    const { setup } = this.config;
    if (setup.length === 0) return;
    await withPostgresClient(server.url, async (client) => {
      for (const [i, statement] of setup.entries()) {
        try {
          await client.query(statement);
        } catch (err) {
          record.error = `setup statement ${i + 1}: ${errorMessage(err)}`;
          throw new ProductError(
            redact(`setup statement ${i + 1} of ${setup.length} failed: ${errorMessage(err)}`),
            { cause: err },
          );
        }
      }
    });
  }
}

function expectVersion(server: StartedPostgres, version: string, record: Step): void {
  if (server.serverVersion === version) return;
  record.error = `answered as ${server.serverVersion}`;
  throw new ProductError(
    `asked for PostgreSQL ${version}, but the server on port ${server.port} answers as ${server.serverVersion}`,
  );
}
