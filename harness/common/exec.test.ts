import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { groupMembers, waitFor } from '../testing/leftovers.js';
import { AbortedError } from './errors.js';
import { ExecError, runCommand, startProcess } from './exec.js';

/** Whether `pid` runs (a zombie, dead but not yet collected by its reaper, does not). */
async function isLive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** `$$ $!` written by the script: its own pid (the group) and a background grandchild's. */
async function readPids(file: string): Promise<[number, number]> {
  return waitFor(async () => {
    const m = /^(\d+) (\d+)\n$/.exec(await readFile(file, 'utf8').catch(() => ''));
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  }, `pids in ${file}`);
}

describe('exec', () => {
  const dirs: string[] = [];
  const groups: number[] = [];
  const scratch = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'uh-exec-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    // A failed test must not leave its sleeps behind.
    for (const pgid of groups.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('returns stdout, stderr and the exit code of a normal command', async () => {
    const r = await runCommand(['sh', '-c', 'echo out; echo err >&2'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({
      exitCode: 0,
      stdout: 'out',
      stderr: 'err',
      argv: ['sh', '-c', 'echo out; echo err >&2'],
    });
  });

  it('names the command, its exit code and its output when it fails', async () => {
    const failing = runCommand(['sh', '-c', 'echo boom >&2; exit 7'], { timeoutMs: 10_000 });
    await expect(failing).rejects.toBeInstanceOf(ExecError);
    const err = (await failing.catch((e: unknown) => e)) as ExecError;
    expect(err.message).toContain('exited with code 7');
    expect(err.message).toContain('sh -c "echo boom >&2; exit 7"');
    expect(err.message).toContain('boom');
    expect(err.result?.exitCode).toBe(7);
  });

  it('names a command that cannot be started', async () => {
    await expect(runCommand(['/nonexistent/uh-tool', 'x'], { timeoutMs: 10_000 })).rejects.toThrow(
      /\/nonexistent\/uh-tool x/,
    );
    await expect(startProcess(['/nonexistent/uh-tool'])).rejects.toThrow(
      /could not start: \/nonexistent\/uh-tool/,
    );
  });

  it('on abort, stops the whole process group before it rejects', async () => {
    const pidFile = join(await scratch(), 'pids');
    const controller = new AbortController();
    const run = runCommand(['sh', '-c', `sleep 30 & echo $$ $! > ${pidFile}; sleep 30; wait`], {
      signal: controller.signal,
      timeoutMs: 60_000,
    });
    const [pgid, grandchild] = await readPids(pidFile);
    groups.push(pgid);
    // Its own group, not ours: a terminal's Ctrl-C does not reach it directly.
    expect(pgid).not.toBe(Number((await readFile('/proc/self/stat', 'utf8')).split(') ')[1]?.split(' ')[2]));
    expect(await groupMembers(pgid)).toEqual(expect.arrayContaining([pgid, grandchild]));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(await groupMembers(pgid)).toEqual([]);
    expect(await isLive(grandchild)).toBe(false);
  }, 20_000);

  it('on timeout, stops the whole process group before it rejects', async () => {
    const pidFile = join(await scratch(), 'pids');
    const run = runCommand(['sh', '-c', `sleep 30 & echo $$ $! > ${pidFile}; sleep 30; wait`], {
      timeoutMs: 3000,
    });
    const [pgid, grandchild] = await readPids(pidFile);
    groups.push(pgid);
    await expect(run).rejects.toThrow(/timed out after 3000 ms: sh -c/);
    expect(await groupMembers(pgid)).toEqual([]);
    expect(await isLive(grandchild)).toBe(false);
  }, 20_000);

  it('rejects at once when the signal is already aborted', async () => {
    await expect(runCommand(['true'], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
  });

  it('stop() ends a long-running process with its grandchildren, SIGKILL when SIGTERM is ignored', async () => {
    const lines: string[] = [];
    // The whole group ignores SIGTERM, so only the SIGKILL after graceMs ends it.
    const proc = await startProcess(['sh', '-c', "trap '' TERM; sleep 30 & echo $!; sleep 30 & wait"], {
      onStdoutLine: (line) => lines.push(line),
    });
    groups.push(proc.pid);
    const grandchild = await waitFor(
      async () => (lines[0] ? Number(lines[0]) : undefined),
      'the grandchild pid',
    );
    expect(await groupMembers(proc.pid)).toEqual(expect.arrayContaining([proc.pid, grandchild]));
    expect(proc.running).toBe(true);
    const exit = await proc.stop({ graceMs: 300 });
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(proc.running).toBe(false);
    expect(await groupMembers(proc.pid)).toEqual([]);
    expect(await isLive(grandchild)).toBe(false);
  }, 20_000);

  it('stop() with SIGTERM ends a group that honours it', async () => {
    const proc = await startProcess(['sh', '-c', 'sleep 30 & sleep 30 & wait']);
    groups.push(proc.pid);
    await waitFor(async () => ((await groupMembers(proc.pid)).length >= 3 ? true : undefined), 'the sleeps');
    const exit = await proc.stop({ graceMs: 10_000 });
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await groupMembers(proc.pid)).toEqual([]);
  }, 20_000);

  it('reports a normal exit through `exited`, with its output logged', async () => {
    const dir = await scratch();
    const logFile = join(dir, 'out.log');
    const lines: string[] = [];
    const exitListeners = process.listenerCount('exit');
    const proc = await startProcess(['sh', '-c', 'echo hello; exit 3'], {
      logFile,
      onStdoutLine: (line) => lines.push(line),
    });
    // The last-resort kill at harness exit is registered while the process lives...
    expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    // ...and removed once it is gone.
    expect(process.listenerCount('exit')).toBe(exitListeners);
    expect(proc.running).toBe(false);
    expect(lines).toEqual(['hello']);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('hello\n');
    expect(log).toContain('# exited code=3 signal=null');
    expect(await proc.stop()).toEqual({ code: 3, signal: null });
  }, 20_000);

  it('redacts secrets in the output it logs, line by line, also when a line arrives in pieces', async () => {
    const dir = await scratch();
    const logFile = join(dir, 'cmd.log');
    await runCommand(
      [
        'sh',
        '-c',
        // the secrets are split in the command line: only the output carries them whole
        'printf "url postgres://app:s3c"; printf "ret"; sleep 0.05; printf "@db/app\\n"; echo "pass""word=hunt""er2" >&2; printf "tok""en=a""bc"',
      ],
      { logFile },
    );
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('postgres://app:***@db/app');
    expect(log).toContain('password=***');
    expect(log).toContain('token=***');
    expect(log).not.toMatch(/s3cret|hunter2|abc/);
  });
});
