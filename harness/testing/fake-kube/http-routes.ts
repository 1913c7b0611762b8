import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { openApiGroupVersion, openApiIndex } from './openapi.js';
import type { ResourceRegistry } from './resource-registry.js';
import { pathNotFound } from './status-error.js';
import type { ResourceDef } from './types.js';

export type Route =
  | { type: 'document'; body: unknown }
  | { type: 'text'; body: string }
  | {
      type: 'resource';
      def: ResourceDef;
      namespace?: string;
      name?: string;
      subresource?: string;
      /** The legacy `/watch/` path form. */
      watchPath: boolean;
    };

export interface RouteContext {
  registry: ResourceRegistry;
  serverAddress: string;
  kubernetesVersion: string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Maps a request path to discovery, health or a resource; throws a 404 Status when unknown. */
export function parseRoute(pathname: string, ctx: RouteContext): Route {
  const seg = pathname
    .split('/')
    .filter((s) => s.length > 0)
    .map(decode);
  const [first, second, third] = seg;
  if (seg.length === 1 && first === 'version')
    return { type: 'document', body: versionInfo(ctx.kubernetesVersion) };
  if (seg.length === 1 && (first === 'healthz' || first === 'livez' || first === 'readyz')) {
    return { type: 'text', body: 'ok' };
  }
  if (first === 'openapi' && second === 'v3') {
    const doc =
      seg.length === 2
        ? openApiIndex(ctx.registry)
        : seg[2] === 'api' && seg.length === 4
          ? openApiGroupVersion(ctx.registry, '', seg[3] ?? '', ctx.kubernetesVersion)
          : seg[2] === 'apis' && seg.length === 5
            ? openApiGroupVersion(ctx.registry, seg[3] ?? '', seg[4] ?? '', ctx.kubernetesVersion)
            : undefined;
    if (doc) return { type: 'document', body: doc };
    throw pathNotFound();
  }
  if (first === 'api' && seg.length === 1) return { type: 'document', body: coreVersions(ctx.serverAddress) };
  if (first === 'apis' && seg.length === 1) return { type: 'document', body: groupList(ctx.registry) };
  if (first === 'apis' && seg.length === 2 && second) {
    const doc = apiGroup(ctx.registry, second);
    if (doc) return { type: 'document', body: doc };
    throw pathNotFound();
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (first === 'api' && second) {
    [group, version, rest] = ['', second, seg.slice(2)];
  } else if (first === 'apis' && second && third) {
    [group, version, rest] = [second, third, seg.slice(3)];
  } else {
    throw pathNotFound();
  }
  if (rest.length === 0) {
    const doc = resourceList(ctx.registry, group, version);
    if (doc) return { type: 'document', body: doc };
    throw pathNotFound();
  }
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== undefined) {
    const inner = ctx.registry.byPath(group, version, rest[2]);
    if (inner?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [plural, name, subresource, ...extra] = rest;
  const def = plural ? ctx.registry.byPath(group, version, plural) : undefined;
  if (!def || extra.length > 0 || (namespace !== undefined && !def.namespaced)) throw pathNotFound();
  return {
    type: 'resource',
    def,
    watchPath,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}
