import { ConfigError, HarnessError } from '../common/errors.js';

/** The CLI's exit codes (ARCHITECTURE.md): the only place they are decided. */
export const EXIT = {
  ok: 0,
  cellsFailed: 1,
  usage: 2,
  errored: 3,
  interrupted: 130,
} as const;

export function exitCodeForError(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.usage;
  if (err instanceof HarnessError && err.code === 'USAGE') return EXIT.usage;
  if (err instanceof HarnessError && err.code === 'ABORTED') return EXIT.interrupted;
  return EXIT.errored;
}
