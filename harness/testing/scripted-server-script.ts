/** The script a ScriptedServer follows: its windows, and the check that a script can be run. */

/**
 * One window of the script, in milliseconds relative to the t0 given to `start()`.
 * - `refuse`: the listener is closed and every open connection destroyed (a crashed process), so
 *   new connections get ECONNREFUSED; at `toMs` it listens again on the same port.
 * - `503`: every request is answered 503. `hang`: requests are never answered.
 * - `reset`: the request's socket is reset (RST) before any answer. `reset-mid`: the answer's
 *   headers (200, with the full content-length) and the first half of its body are sent, then the
 *   socket is destroyed (a process that died while writing).
 * - `delay`: every request is answered correctly, `delayMs` after it arrived (a latency spike
 *   without failures); the answer is what the server would send at that later time.
 * - `interleave`: every `every`-th request gets 503 (counted separately for keep-alive and
 *   `connection: close` requests, so each connection mode sees the same pattern).
 * - `version`: from `fromMs` the new version answers every other request (both versions serve),
 *   from `toMs` (or at once when omitted) only the new version does.
 * A request's mode is decided when it arrives (`reset`, `hang`) or when its body was read (the others).
 */
export type ScriptWindow =
  | { mode: 'refuse' | '503' | 'hang' | 'reset' | 'reset-mid'; fromMs: number; toMs: number }
  | { mode: 'interleave'; fromMs: number; toMs: number; every: number }
  | { mode: 'delay'; fromMs: number; toMs: number; delayMs: number }
  | { mode: 'version'; fromMs: number; toMs?: number; version: string };

export type ScriptMode = ScriptWindow['mode'];

/** Throws a RangeError naming the first window that cannot be run. */
export function validateScript(script: readonly ScriptWindow[]): void {
  script.forEach((w, i) => {
    const problem = windowProblem(w);
    if (problem) throw new RangeError(`script window ${i} (${w.mode}): ${problem}`);
  });
}

const MODES: ReadonlySet<string> = new Set<ScriptMode>([
  'refuse',
  '503',
  'hang',
  'reset',
  'reset-mid',
  'delay',
  'interleave',
  'version',
]);

function windowProblem(w: ScriptWindow): string | null {
  if (!MODES.has(w.mode)) return 'unknown mode';
  if (!Number.isFinite(w.fromMs)) return 'fromMs must be a number';
  const toMs: unknown = (w as { toMs?: unknown }).toMs;
  if (toMs === undefined) {
    if (w.mode !== 'version') return 'toMs is required';
  } else if (typeof toMs !== 'number' || !(toMs >= w.fromMs)) return 'toMs must be a number >= fromMs';
  if (w.mode === 'interleave' && !(Number.isInteger(w.every) && w.every >= 1))
    return 'every must be an integer >= 1';
  if (w.mode === 'delay' && !(w.delayMs >= 0 && Number.isFinite(w.delayMs)))
    return 'delayMs must be a number >= 0';
  if (w.mode === 'version' && !(typeof w.version === 'string' && w.version !== ''))
    return 'version must be a non-empty string';
  return null;
}
