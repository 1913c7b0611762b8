import type { EndpointConfig } from '../config/types.js';
import type { LoadProfile } from './load-driver.js';

/** Endpoints that share one arrival stream per connection mode: one class with its own rate, or the rest. */
export interface TrafficGroup {
  /** The class with its own rate, or null for the endpoints sharing the profile's `rate`. */
  className: string | null;
  /** Requests per second per connection mode. */
  rate: number;
  endpoints: EndpointConfig[];
}

/**
 * How a profile's endpoints are split into arrival streams: each class with a rate of its own in
 * `profile.classes` is one group at that rate; every other endpoint shares `profile.rate`. Groups
 * keep the order of first appearance in `profile.endpoints`.
 */
export function trafficGroups(profile: LoadProfile): TrafficGroup[] {
  const groups = new Map<string | null, TrafficGroup>();
  for (const endpoint of profile.endpoints) {
    const own = profile.classes?.[endpoint.class]?.rate;
    const key = own === undefined ? null : endpoint.class;
    let group = groups.get(key);
    if (!group) {
      group = { className: key, rate: own ?? profile.rate, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push(endpoint);
  }
  return [...groups.values()];
}

/** The request timeout of an endpoint of class `className`. */
export function classTimeoutMs(profile: LoadProfile, className: string): number {
  return profile.classes?.[className]?.timeoutMs ?? profile.timeoutMs;
}

/** The longest any request of this profile may take: what the analysis must wait for before it can order samples. */
export function longestTimeoutMs(profile: LoadProfile): number {
  let longest = profile.timeoutMs;
  for (const endpoint of profile.endpoints)
    longest = Math.max(longest, classTimeoutMs(profile, endpoint.class));
  return longest;
}
