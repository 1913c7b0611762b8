import type { CommandOptions } from '../../common/exec.js';

/** How a kind/k3d command is run: its environment, the signal, a deadline, where its output goes. */
export type ToolOptions = Pick<CommandOptions, 'env' | 'signal' | 'timeoutMs' | 'logFile'>;

/** Listing and probing commands answer in seconds; a hung container engine must not hang the caller. */
export const QUICK_COMMAND_TIMEOUT_MS = 60_000;
