import { z } from 'zod';

/** One line of `helm history -o json`. */
export interface HelmRevision {
  revision: number;
  updated: string;
  /** deployed, superseded, failed, pending-install, pending-upgrade, pending-rollback, uninstalled… */
  status: string;
  /** `<chart name>-<chart version>` */
  chart: string;
  app_version: string;
  description: string;
}

const revisionSchema = z.looseObject({
  revision: z.number().int().positive(),
  updated: z.string().default(''),
  status: z.string(),
  chart: z.string().default(''),
  app_version: z.string().default(''),
  description: z.string().default(''),
});

/** Parses helm's JSON; throws with the start of the text when it is not a history. */
export function parseHistory(stdout: string): HelmRevision[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error(`helm history printed no JSON: ${stdout.slice(0, 200)}`);
  }
  const parsed = z.array(revisionSchema).safeParse(json);
  if (!parsed.success) throw new Error(`helm history printed an unexpected shape: ${parsed.error.message}`);
  return parsed.data
    .map(({ revision, updated, status, chart, app_version, description }) => ({
      revision,
      updated,
      status,
      chart,
      app_version,
      description,
    }))
    .sort((a, b) => a.revision - b.revision);
}

/** The revision helm serves now: the newest `deployed` one. */
export function lastDeployed(history: readonly HelmRevision[]): HelmRevision | undefined {
  return history.findLast((r) => r.status === 'deployed');
}

/** `3 failed (Upgrade "x" failed: context deadline exceeded)`, for messages and events. */
export function describeRevision(r: HelmRevision): string {
  return `revision ${r.revision} ${r.status} ${r.chart}${r.description ? ` (${r.description})` : ''}`;
}
