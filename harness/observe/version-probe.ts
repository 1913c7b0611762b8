import { request } from 'undici';
import type { VersionProbeConfig } from '../config/types.js';

export interface ProbeResult {
  status: number;
  version: string | undefined;
}

/** One GET that reads the serving version as the scenario says (a header or a top-level JSON field). */
export async function probeVersion(
  url: string,
  probe: VersionProbeConfig,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 2000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const res = await request(url, { method: 'GET', signal, headers: { connection: 'close' } });
  const body = await res.body.text();
  let version: string | undefined;
  if (probe.header) {
    const value = res.headers[probe.header.toLowerCase()];
    version = Array.isArray(value) ? value[0] : value;
  } else if (probe.jsonField) {
    try {
      const parsed: unknown = JSON.parse(body);
      const field = (parsed as Record<string, unknown> | null)?.[probe.jsonField];
      if (typeof field === 'string') version = field;
    } catch {
      version = undefined;
    }
  }
  return { status: res.statusCode, version };
}
