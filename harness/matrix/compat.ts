/** Which install methods work on which platform. */
import type { MethodName, PlatformName } from '../config/types.js';

export const PLATFORM_METHODS: Readonly<Record<PlatformName, readonly MethodName[]>> = {
  local: ['local', 'postgres'],
  existing: ['exec', 'helm', 'operator'],
  kind: ['helm', 'operator'],
  k3d: ['helm', 'operator'],
  k3s: ['helm', 'operator'],
};

export function isCompatible(platform: PlatformName, method: MethodName): boolean {
  return PLATFORM_METHODS[platform].includes(method);
}

/** The platforms a method can run on. */
export function platformsFor(method: MethodName): PlatformName[] {
  return (Object.keys(PLATFORM_METHODS) as PlatformName[]).filter((p) => isCompatible(p, method));
}
