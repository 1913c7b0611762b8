import { errorMessage, InfraError, isAbortError } from '../../common/errors.js';
import { type CommandResult, ExecError } from '../../common/exec.js';
import { redact } from '../../common/redact.js';
import type { ClusterPlatformName } from './cluster-marker.js';

const INSTALL_HINT: Record<ClusterPlatformName, string> = {
  kind: 'install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) and a container engine (Docker or Podman)',
  k3d: 'install k3d (https://k3d.io/#installation) and Docker',
};

const MAX_LINES = 6;

/** Whether the program itself could not be started (not on PATH). */
export function isNotInstalled(err: unknown): boolean {
  return err instanceof ExecError && (err.cause as { code?: unknown } | undefined)?.code === 'ENOENT';
}

/**
 * The tool's own words: kind's `ERROR: …` line and what follows it (`Command Output: …`), or
 * k3d's `ERRO[…]` / `FATA[…]` lines. Undefined when it said nothing of the kind.
 */
export function toolErrorText(
  tool: ClusterPlatformName,
  result: CommandResult | undefined,
): string | undefined {
  if (!result) return undefined;
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trimEnd());
  let picked: string[];
  if (tool === 'kind') {
    const first = lines.findIndex((l) => l.startsWith('ERROR: '));
    picked = first < 0 ? [] : lines.slice(first).filter((l) => l.trim() !== '');
  } else {
    picked = lines.filter((l) => /^(ERRO|FATA)\[\d+\]/.test(l));
  }
  return picked.length === 0 ? undefined : redact(picked.slice(0, MAX_LINES).join('\n'));
}

/**
 * The error to throw when `what` (e.g. `kind create cluster uh-…`) failed: an interruption stays
 * one; a missing tool or a failed command becomes an InfraError carrying the tool's message.
 */
export function toolFailure(tool: ClusterPlatformName, what: string, err: unknown): Error {
  if (isAbortError(err)) return err instanceof Error ? err : new Error(String(err));
  if (isNotInstalled(err)) {
    return new InfraError(`${what}: ${tool} is not installed or not on PATH`, {
      cause: err,
      hint: INSTALL_HINT[tool],
    });
  }
  const said = err instanceof ExecError ? toolErrorText(tool, err.result) : undefined;
  return new InfraError(`${what} failed: ${said ?? errorMessage(err)}`, { cause: err });
}
