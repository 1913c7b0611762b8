/**
 * The one way the harness runs external programs. Every command gets a timeout, the run's
 * AbortSignal, captured output (also appended to a log file when given) and an error that names
 * the command, its exit code and the end of its output.
 *
 * Every child leads its own process group (a new session: execa `detached`), and the harness
 * always signals the whole group, so a shell's children (`sh -c "sleep 30; ..."`) go with it.
 * A consequence, intended: a terminal's Ctrl-C (SIGINT to the foreground group) no longer reaches
 * children directly. The harness catches it and tears down in order, stopping each group itself.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { execa, type ResultPromise } from 'execa';
import { sleep } from './clock.js';
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

/**
 * A command's log file. Everything written is redacted (passwords in URLs, tokens, keys): a program's
 * output is split into lines per source (stdout, stderr) and each complete line is redacted before it
 * is written; a partial line waits for its newline (or the end).
 */
class CommandLog {
  readonly #flushers: Array<() => void> = [];

  private constructor(private readonly stream: WriteStream) {}

  static async open(path: string | undefined): Promise<CommandLog | undefined> {
    if (!path) return undefined;
    const stream = createWriteStream(path, { flags: 'a' });
    await once(stream, 'open');
    return new CommandLog(stream);
  }

  /** One of our own lines (already free of output), redacted. */
  note(line: string): void {
    this.stream.write(`${redact(line)}\n`);
  }

  /** A writer for one output stream of the program. */
  source(): (chunk: Buffer) => void {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const flush = () => {
      pending += decoder.end();
      if (pending !== '') this.stream.write(redact(pending));
      pending = '';
    };
    this.#flushers.push(flush);
    return (chunk) => {
      pending += decoder.write(chunk);
      const nl = pending.lastIndexOf('\n');
      if (nl < 0) {
        // a very long line without a newline is written in pieces rather than kept
        if (pending.length > MAX_PENDING_LOG_CHARS) flush();
        return;
      }
      this.stream.write(redact(pending.slice(0, nl + 1)));
      pending = pending.slice(nl + 1);
    };
  }

  async close(): Promise<void> {
    for (const flush of this.#flushers) flush();
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }
}

const MAX_PENDING_LOG_CHARS = 64 * 1024;

async function closeLog(log: CommandLog | undefined): Promise<void> {
  await log?.close();
}

/** Time a group gets between SIGTERM and SIGKILL when a command is interrupted or times out. */
const COMMAND_GRACE_MS = 2000;
/** After SIGKILL, how long to wait for the group to be reaped before giving up. */
const REAP_WAIT_MS = 5000;
/**
 * After a long-running process exits, how long its output pipes may stay open (held by a
 * descendant that left its group) before `exited` settles anyway.
 */
const DRAIN_WAIT_MS = 2000;

/**
 * Sends `signal` (0: only probe) to every process in the group `pgid`. Returns whether the group
 * still exists; a group that is gone already (ESRCH) is not an error.
 */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err: unknown) {
    // EPERM: a member we may not signal (it changed its user); the group is still there.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the group has a member that is not a zombie. kill(0) also counts zombies: members that
 * died but whose reaper (PID 1, after re-parenting, can be slow) has not collected them; they hold
 * nothing. Where /proc is missing, kill(0) decides alone. While the leader runs, nothing is read.
 */
async function groupLive(pgid: number, leaderRunning: () => boolean): Promise<boolean> {
  if (leaderRunning()) return true;
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== undefined && state !== 'Z' && Number(pgrp) === pgid) return true;
  }
  return false;
}

async function groupGone(pgid: number, withinMs: number, leaderRunning: () => boolean): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (await groupLive(pgid, leaderRunning)) {
    if (performance.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * `signal` to the group, SIGKILL to what is left after `graceMs`; resolves once no member is left
 * (or REAP_WAIT_MS after the SIGKILL).
 */
async function terminateGroup(
  pgid: number,
  signal: NodeJS.Signals,
  graceMs: number,
  leaderRunning: () => boolean,
): Promise<void> {
  if (!signalGroup(pgid, signal)) return;
  if (await groupGone(pgid, graceMs, leaderRunning)) return;
  signalGroup(pgid, 'SIGKILL');
  await groupGone(pgid, REAP_WAIT_MS, leaderRunning);
}

/**
 * The last resort, while the group's leader lives: should the harness exit without stopping it,
 * its group is SIGKILLed on the way out (detached children no longer die with the harness).
 * Returns the function that cancels it.
 */
function killGroupAtExit(pgid: number): () => void {
  const onExit = () => {
    signalGroup(pgid, 'SIGKILL');
  };
  // One listener per live child is by design; keep Node from reporting it as a leak.
  const max = process.getMaxListeners();
  if (max !== 0 && process.listenerCount('exit') >= max) process.setMaxListeners(max + 1);
  process.once('exit', onExit);
  return () => {
    process.off('exit', onExit);
  };
}

/** Runs a command to completion. Throws ExecError on a non-zero exit, a timeout or a spawn error. */
export async function runCommand(
  argv: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new ExecError('empty command');
  if (options.signal?.aborted) throw new AbortedError();
  const log = await CommandLog.open(options.logFile);
  log?.note(`$ ${describeArgv(argv)}`);
  const started = performance.now();
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    reject: false,
    detached: true,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    uid: options.uid,
    gid: options.gid,
  });
  if (log) {
    child.stdout?.on('data', log.source());
    child.stderr?.on('data', log.source());
  }
  const pgid = child.pid;
  let stoppedFor: 'timeout' | 'abort' | undefined;
  let stopping: Promise<void> | undefined;
  const cleanups: Array<() => void> = [];
  if (pgid !== undefined) {
    let leaderRunning = true;
    const forget = killGroupAtExit(pgid);
    child.once('exit', () => {
      leaderRunning = false;
      forget();
    });
    cleanups.push(forget);
    const stop = (why: 'timeout' | 'abort') => {
      if (stoppedFor) return;
      stoppedFor = why;
      stopping = terminateGroup(pgid, 'SIGTERM', COMMAND_GRACE_MS, () => leaderRunning);
    };
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
      cleanups.push(() => clearTimeout(timer));
    }
    const { signal } = options;
    if (signal) {
      const onAbort = () => stop('abort');
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
      if (signal.aborted) stop('abort');
    }
  }
  const out = await child;
  for (const cleanup of cleanups) cleanup();
  // The leader is gone; when we stopped it, also wait for the rest of its group.
  await stopping;
  const result: CommandResult = {
    argv: [...argv],
    exitCode: out.exitCode ?? -1,
    stdout: String(out.stdout ?? ''),
    stderr: String(out.stderr ?? ''),
    durationMs: performance.now() - started,
  };
  log?.note(`# exit ${result.exitCode} after ${Math.round(result.durationMs)} ms`);
  await closeLog(log);
  const what = describeArgv(argv);
  if (stoppedFor === 'abort' || options.signal?.aborted)
    throw new AbortedError(`interrupted while running: ${what}`);
  if (stoppedFor === 'timeout') {
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
  /**
   * SIGTERM (or `signal`) to its process group, then SIGKILL after `graceMs`. Resolves once the
   * process and everything left in its group is gone.
   */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<ProcessExit>;
}

export interface StartOptions extends Omit<CommandOptions, 'timeoutMs' | 'input' | 'signal'> {
  /** Called with each line of stdout (e.g. to learn the port a service listens on). */
  onStdoutLine?: (line: string) => void;
}

/**
 * Starts a long-running process whose output goes to `logFile`. It is not tied to any signal: its
 * owner stops it (its whole process group).
 */
export async function startProcess(
  argv: readonly string[],
  options: StartOptions = {},
): Promise<ManagedProcess> {
  const [file, ...args] = argv;
  if (!file) throw new ExecError('empty command');
  const log = await CommandLog.open(options.logFile);
  log?.note(`$ ${describeArgv(argv)}`);
  const logOut = log?.source();
  const logErr = log?.source();
  const child: ResultPromise = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    uid: options.uid,
    gid: options.gid,
    detached: true,
  });
  let running = true;
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    logOut?.(chunk);
    if (!options.onStdoutLine) return;
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      options.onStdoutLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => logErr?.(chunk));
  let settle: (exit: ProcessExit) => void = () => {};
  const exited = new Promise<ProcessExit>((resolve) => {
    settle = (exit) => {
      running = false;
      resolve(exit);
    };
  });
  // Normally `exited` settles once the output is drained and logged.
  void child.then(
    async (r) => {
      log?.note(`# exited code=${r.exitCode ?? 'null'} signal=${r.signal ?? 'null'}`);
      await closeLog(log);
      settle({ code: r.exitCode ?? null, signal: r.signal ?? null });
    },
    async (err: unknown) => {
      log?.note(`# failed: ${String(err)}`);
      await closeLog(log);
      settle({ code: null, signal: null });
    },
  );
  if (child.pid === undefined) {
    await exited;
    throw new ExecError(`could not start: ${describeArgv(argv)}`);
  }
  const pid = child.pid;
  let leaderRunning = true;
  const forget = killGroupAtExit(pid);
  child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
    leaderRunning = false;
    forget();
    // A descendant that left the group (setsid) may hold the output pipes open for long.
    setTimeout(() => settle({ code, signal }), DRAIN_WAIT_MS).unref();
  });
  let stopping: Promise<ProcessExit> | undefined;
  return {
    pid,
    argv: [...argv],
    exited,
    get running() {
      return running;
    },
    stop({ signal = 'SIGTERM', graceMs = 5000 } = {}) {
      if (!running) return exited;
      stopping ??= Promise.all([exited, terminateGroup(pid, signal, graceMs, () => leaderRunning)]).then(
        ([exit]) => exit,
      );
      return stopping;
    },
  };
}
