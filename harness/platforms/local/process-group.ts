import { type ManagedProcess, type StartOptions, startProcess } from '../../common/exec.js';

export interface GroupMember {
  name: string;
  process: ManagedProcess;
}

/**
 * The processes one cell started on this machine; stopping the group stops every one still
 * running, each with its own descendants (every process leads its own OS process group).
 */
export class ProcessGroup {
  readonly #members = new Map<string, ManagedProcess>();
  #stopped = false;

  async start(name: string, argv: readonly string[], options: StartOptions): Promise<ManagedProcess> {
    if (this.#stopped) throw new Error(`cannot start "${name}": the process group is stopped`);
    if (this.#members.get(name)?.running) throw new Error(`process name "${name}" is already in use`);
    const proc = await startProcess(argv, options);
    if (this.#stopped) {
      // stopAll ran while this one was starting: it must not outlive the group.
      await proc.stop({ graceMs: 1000 });
      throw new Error(`cannot start "${name}": the process group is stopped`);
    }
    this.#members.set(name, proc);
    void proc.exited.then(() => {
      if (this.#members.get(name) === proc) this.#members.delete(name);
    });
    return proc;
  }

  list(): GroupMember[] {
    return [...this.#members].map(([name, process]) => ({ name, process }));
  }

  /** SIGTERM to all, SIGKILL to what is left after `graceMs`; resolves once all of them are gone. */
  async stopAll(graceMs: number): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#members.values()].map((p) => p.stop({ graceMs })));
    this.#members.clear();
  }
}
