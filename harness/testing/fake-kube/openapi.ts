import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './resource-registry.js';

/**
 * Just enough OpenAPI v3 for Go clients: kubectl and helm read `/openapi/v3` to learn whether the
 * server validates fields itself (a PATCH operation with a `fieldValidation` parameter per kind);
 * when it does they skip client-side schema validation and send `fieldValidation=Strict`.
 * No schemas are served (the fake validates nothing beyond names).
 */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function groupVersions(registry: ResourceRegistry): { group: string; version: string }[] {
  const out = [{ group: '', version: 'v1' }];
  for (const g of registry.groups()) for (const version of g.versions) out.push({ group: g.name, version });
  return out;
}

function hashOf(registry: ResourceRegistry, group: string, version: string): string {
  const names = registry.resourcesOf(group, version).map((d) => `${d.plural}:${d.kind}:${d.namespaced}`);
  return createHash('sha256').update(names.join(',')).digest('hex').slice(0, 32).toUpperCase();
}

/** `/openapi/v3`. */
export function openApiIndex(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of groupVersions(registry)) {
    const path = gvPath(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(registry, group, version)}` };
  }
  return { paths };
}

const query = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

/** `/openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`, or undefined when unknown. */
export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
  kubernetesVersion: string,
): Record<string, unknown> | undefined {
  const defs = registry.resourcesOf(group, version);
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const base = `/${gvPath(group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    const gvk = { group, version, kind: def.kind };
    const operation = (action: string, params: string[]) => ({
      operationId: `${action}${def.kind}`,
      parameters: params.map(query),
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[base] = {
      get: operation('list', ['labelSelector', 'fieldSelector', 'watch', 'resourceVersion']),
      post: operation('post', ['dryRun', 'fieldManager', 'fieldValidation']),
    };
    paths[`${base}/{name}`] = {
      get: operation('get', []),
      put: operation('put', ['dryRun', 'fieldManager', 'fieldValidation']),
      patch: operation('patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force']),
      delete: operation('delete', ['dryRun', 'propagationPolicy']),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: kubernetesVersion },
    paths,
    components: { schemas: {} },
  };
}
