import { ExecError, runCommand } from '../harness/common/exec.js';

export interface WrkResult {
  version: string;
  threads: number;
  requests: number;
  durationS: number;
  requestsPerSecond: number;
  non2xx: number;
  socketErrors: number;
}

/** wrk's version line, or null when wrk is not installed (`wrk -v` exits 1 even when it is). */
export async function wrkVersion(): Promise<string | null> {
  let output: string;
  try {
    output = (await runCommand(['wrk', '-v'], { timeoutMs: 5000 })).stdout;
  } catch (err: unknown) {
    if (!(err instanceof ExecError) || !err.result) return null;
    output = err.result.stdout + err.result.stderr;
  }
  const line = output.split('\n').find((l) => l.startsWith('wrk '));
  return line ? line.replace(/\s+Copyright.*$/, '').trim() : null;
}

const UNIT_S: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** The numbers of wrk's report; throws when the report does not have them. */
export function parseWrkOutput(text: string): Omit<WrkResult, 'version' | 'threads'> {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h),/.exec(text);
  const rate = /Requests\/sec:\s*([\d.]+)/.exec(text);
  if (!total || !rate) throw new Error(`unexpected wrk output:\n${text.slice(-1000)}`);
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests: Number(total[1]),
    durationS: Number(total[2]) * (UNIT_S[total[3] ?? 's'] ?? 1),
    requestsPerSecond: Number(rate[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors,
  };
}

/** wrk (keep-alive, one request per connection at a time) against `url`, bounded by `signal` and a timeout. */
export async function runWrk(
  url: string,
  options: { version: string; threads: number; connections: number; durationMs: number; signal: AbortSignal },
): Promise<WrkResult> {
  const seconds = Math.max(1, Math.round(options.durationMs / 1000));
  const { stdout } = await runCommand(
    ['wrk', `-t${options.threads}`, `-c${options.connections}`, `-d${seconds}s`, '--timeout', '10s', url],
    { timeoutMs: options.durationMs + 30_000, signal: options.signal },
  );
  return { version: options.version, threads: options.threads, ...parseWrkOutput(stdout) };
}
