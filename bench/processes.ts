import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, runCommand, startProcess } from '../harness/common/exec.js';
import { type BenchResult, type BenchTask, RESULT_MARKER } from './types.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');

/** The benchmark server in its own process. */
export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts bench/server-main.ts (node + tsx) and waits for its port; it exits by itself after `maxLifetimeMs`. */
export async function startServer(logFile: string, maxLifetimeMs: number): Promise<BenchServer> {
  let onPort: (port: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => {
    onPort = resolve;
  });
  const child: ManagedProcess = await startProcess(
    [process.execPath, '--import', 'tsx', join(BENCH_DIR, 'server-main.ts'), String(maxLifetimeMs)],
    {
      cwd: ROOT,
      logFile,
      onStdoutLine: (line) => {
        try {
          const { port } = JSON.parse(line) as { port?: unknown };
          if (typeof port === 'number' && port > 0) onPort(port);
        } catch {
          // not the port line
        }
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready,
    child.exited.then((e) => `exited (code ${e.code}, signal ${e.signal})`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('did not listen within 30 s'), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  if (typeof outcome === 'string') {
    await child.stop({ graceMs: 2000 });
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`bench server ${outcome}\n${log.slice(-2000)}`);
  }
  return {
    url: `http://127.0.0.1:${outcome}/`,
    pid: child.pid,
    stop: async () => {
      await child.stop({ graceMs: 3000 });
    },
  };
}

/**
 * Runs one task in bench/child-main.ts and returns its result. Bounded: the child has its own
 * deadline and runCommand kills its process group `timeoutMs` after the start, or on `signal`.
 */
export async function runTask<T extends BenchResult>(
  task: BenchTask,
  timeoutMs: number,
  signal: AbortSignal,
  logFile: string,
): Promise<T> {
  const result = await runCommand(
    [
      process.execPath,
      '--import',
      'tsx',
      join(BENCH_DIR, 'child-main.ts'),
      JSON.stringify(task),
      String(timeoutMs),
    ],
    { cwd: ROOT, timeoutMs: timeoutMs + 5000, signal, logFile },
  );
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`bench task ${task.kind} printed no result:\n${result.stderr.slice(-2000)}`);
  const parsed = JSON.parse(line.slice(RESULT_MARKER.length)) as BenchResult;
  if (parsed.kind !== task.kind) throw new Error(`bench task ${task.kind} returned a ${parsed.kind} result`);
  return parsed as T;
}
