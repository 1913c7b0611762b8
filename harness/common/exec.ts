/**
 * The one way the harness runs external programs. Every command gets a timeout, the run's
 * AbortSignal, captured output (also appended to a log file when given) and an error that names
 * the command, its exit code and the end of its output.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { AbortedError, HarnessError } from './errors.js';
import { redact } from './redact.js';

export interface CommandOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Output (stdout and stderr) is appended here as it arrives. */
  logFile?: string;
  uid?: number;
  gid?: number;
  input?: string;
}

export interface CommandResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class ExecError extends HarnessError {
  readonly result: CommandResult | undefined;
  constructor(message: string, result?: CommandResult, cause?: unknown) {
    super('EXEC_FAILED', message, cause === undefined ? undefined : { cause });
    this.result = result;
  }
}

export function describeArgv(argv: readonly string[]): string {
  return redact(argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' '));
}

function tail(text: string, lines = 8): string {
  const all = text.trimEnd().split('\n');
  return redact(all.slice(-lines).join('\n'));
}

async function openLog(path: string | undefined): Promise<WriteStream | undefined> {
  if (!path) return undefined;
  const stream = createWriteStream(path, { flags: 'a' });
  await once(stream, 'open');
  return stream;
}

async function closeLog(stream: WriteStream | undefined): Promise<void> {
  if (!stream) return;
  await new Promise<void>((resolve) => stream.end(resolve));
}

/** Runs a command to completion. Throws ExecError on a non-zero exit, a timeout or a spawn error. */
export async function runCommand(
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new ExecError('empty command');
  if (options.signal?.aborted) throw new AbortedError();
  const log = await openLog(options.logFile);
  log?.write(`$ ${describeArgv(argv)}\n`);
  const started = performance.now();
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    reject: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    uid: options.uid,
    gid: options.gid,
  });
  if (log) {
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  }
  const out = await child;
  const result: CommandResult = {
    argv: [...argv],
    exitCode: out.exitCode ?? -1,
    stdout: String(out.stdout ?? ''),
    stderr: String(out.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  log?.write(`# exit ${result.exitCode} after ${Math.round(result.durationMs)} ms\n`);
  await closeLog(log);
  const what = describeArgv(argv);
  if (out.isCanceled || options.signal?.aborted) throw new AbortedError(`interrupted while running: ${what}`);
  if (out.timedOut) {
    throw new ExecError(`command timed out after ${options.timeoutMs} ms: ${what}`, result);
  }
  if (out.failed) {
    const detail = tail(result.stderr) || tail(result.stdout) || out.shortMessage;
    const reason = out.exitCode === undefined ? out.shortMessage : `exited with code ${out.exitCode}`;
    throw new ExecError(`command ${reason}: ${what}${detail ? `\n${detail}` : ''}`, result, out.cause);
  }
  return result;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** A long-running child process (a service replica, a database). */
export interface ManagedProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Settles when the process has exited, for whatever reason. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`. Resolves once the process is gone. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ProcessExit>;
}

export interface StartOptions extends Omit<CommandOptions, 'timeoutMs' | 'input' | 'signal'> {
  /** Called with each line of stdout (e.g. to learn the port a service listens on). */
  onStdoutLine?: (line: string) => void;
}

/** Starts a long-running process whose output goes to `logFile`. It is not tied to any signal: its owner stops it. */
export async function startProcess(
  argv: readonly string[],
  options: StartOptions = {},
): Promise<ManagedProcess> {
  const [file, ...args] = argv;
  if (!file) throw new ExecError('empty command');
  const log = await openLog(options.logFile);
  log?.write(`$ ${describeArgv(argv)}\n`);
  const child: ResultPromise = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    uid: options.uid,
    gid: options.gid,
    cleanup: true,
  });
  let running = true;
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    log?.write(chunk);
    if (!options.onStdoutLine) return;
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      options.onStdoutLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => log?.write(chunk));
  const exited: Promise<ProcessExit> = child.then(
    async (r) => {
      running = false;
      log?.write(`# exited code=${r.exitCode ?? 'null'} signal=${r.signal ?? 'null'}\n`);
      await closeLog(log);
      return { code: r.exitCode ?? null, signal: r.signal ?? null };
    },
    async (err: unknown) => {
      running = false;
      log?.write(`# failed: ${String(err)}\n`);
      await closeLog(log);
      return { code: null, signal: null };
    },
  );
  if (child.pid === undefined) {
    await exited;
    throw new ExecError(`could not start: ${describeArgv(argv)}`);
  }
  const pid = child.pid;
  return {
    pid,
    argv: [...argv],
    exited,
    get running() {
      return running;
    },
    async stop({ signal = 'SIGTERM', graceMs = 5000 } = {}) {
      if (!running) return exited;
      child.kill(signal);
      const timer = setTimeout(() => {
        if (running) child.kill('SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
