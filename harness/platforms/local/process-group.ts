import { type ManagedProcess, type StartOptions, startProcess } from '../../common/exec.js';

export interface GroupMember {
  name: string;
  process: ManagedProcess;
}

/** The processes one cell started on this machine; stopping the group stops every one still running. */
export class ProcessGroup {
  readonly #members = new Map<string, ManagedProcess>();

  async start(name: string, argv: readonly string[], options: StartOptions): Promise<ManagedProcess> {
    if (this.#members.has(name)) throw new Error(`process name "${name}" is already in use`);
    const proc = await startProcess(argv, options);
    this.#members.set(name, proc);
    void proc.exited.then(() => {
      if (this.#members.get(name) === proc) this.#members.delete(name);
    });
    return proc;
  }

  list(): GroupMember[] {
    return [...this.#members].map(([name, process]) => ({ name, process }));
  }

  /** SIGTERM to all, SIGKILL to what is left after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.#members.values()].map((p) => p.stop({ graceMs })));
    this.#members.clear();
  }
}
