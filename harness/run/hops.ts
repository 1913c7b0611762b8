import type { PathConfig } from '../config/types.js';

/** One step of an upgrade path: `from → to`, the `index`-th (1-based) of `count`. */
export interface Hop {
  index: number;
  count: number;
  from: string;
  to: string;
}

/** The hops of a path: from → via[0] → … → to; one hop when it has no stops. */
export function hopsOf(path: PathConfig): Hop[] {
  const stops = [path.from, ...(path.via ?? []), path.to];
  const count = stops.length - 1;
  return stops.slice(1).map((to, i) => ({ index: i + 1, count, from: stops[i] as string, to }));
}

/** `17.5.5 → 17.8.7`: the detail of the hop's upgrade phase. */
export function hopDetail(hop: Hop): string {
  return `${hop.from} → ${hop.to}`;
}

/** `hop 2/3 17.5.5 → 17.8.7`: how messages name a hop of a multi-hop path. */
export function hopName(hop: Hop): string {
  return `hop ${hop.index}/${hop.count} ${hopDetail(hop)}`;
}

/** Why the upgrade failed: the hop named first when the path has several. */
export function hopFailure(hop: Hop, message: string): string {
  return hop.count > 1 ? `${hopName(hop)}: ${message}` : message;
}
