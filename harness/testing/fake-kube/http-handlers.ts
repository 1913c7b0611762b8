import { isPlainObject, kubeTime } from './json-util.js';
import type { ObjectStore } from './object-store.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf } from './resource-registry.js';
import { matchesAll, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { serverSideApply } from './server-side-apply.js';
import { badRequest, KubeStatusError, methodNotAllowed, notFound, pathNotFound } from './status-error.js';
import type { KubeObject, ResourceDef } from './types.js';

export interface ResourceRequest {
  method: string;
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** Media type without parameters, lower case. */
  contentType?: string;
  body: unknown;
}

export interface HandlerResult {
  status: number;
  body: unknown;
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function requireObject(body: unknown): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the body of the request was not a JSON object');
  if (!isPlainObject(body.metadata)) body.metadata = {};
  return body as KubeObject;
}

function requireName(req: ResourceRequest): string {
  if (req.name === undefined) throw methodNotAllowed(req.method);
  return req.name;
}

/** Rejects a body whose name differs from the URL's; fills it in when absent. */
function withName(obj: KubeObject, name: string): KubeObject {
  const given = obj.metadata.name;
  if (given !== undefined && given !== name) {
    throw badRequest(`the name of the object (${given}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
  return obj;
}

function checkSubresource(req: ResourceRequest): 'main' | 'status' {
  if (req.subresource === undefined) return 'main';
  if (req.subresource === 'status' && req.def.statusSubresource) return 'status';
  throw pathNotFound();
}

function list(req: ResourceRequest, store: ObjectStore): HandlerResult {
  const matcher = matchesAll(
    parseLabelSelector(req.query.get('labelSelector') ?? undefined),
    parseFieldSelector(req.query.get('fieldSelector') ?? undefined),
  );
  const all = store.list(req.def, req.namespace, matcher);
  const limit = Number(req.query.get('limit') ?? '0');
  const token = req.query.get('continue');
  let offset = 0;
  if (token) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw badRequest('invalid continue token');
    }
    offset = isPlainObject(decoded) && typeof decoded.offset === 'number' ? decoded.offset : 0;
  }
  const end = limit > 0 ? offset + limit : all.length;
  const items = all.slice(offset, end);
  const more = end < all.length;
  const metadata: Record<string, unknown> = { resourceVersion: String(store.resourceVersion) };
  if (more) {
    metadata.continue = Buffer.from(JSON.stringify({ offset: end })).toString('base64url');
    metadata.remainingItemCount = all.length - end;
  }
  return {
    status: 200,
    body: { kind: `${req.def.kind}List`, apiVersion: apiVersionOf(req.def), metadata, items },
  };
}

function patch(req: ResourceRequest, store: ObjectStore, now: number): HandlerResult {
  const name = requireName(req);
  const target = checkSubresource(req);
  const dryRun = req.query.has('dryRun');
  const current = store.get(req.def, req.namespace, name);
  if (req.contentType === PATCH_TYPES.apply) {
    const manager = req.query.get('fieldManager');
    if (!manager) {
      throw new KubeStatusError(
        422,
        'Invalid',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    }
    const applied = withName(requireObject(req.body), name);
    const options = {
      manager,
      force: req.query.get('force') === 'true',
      apiVersion: apiVersionOf(req.def),
      time: kubeTime(now),
      skipStatus: target === 'main' && req.def.statusSubresource,
    };
    if (!current) {
      if (target === 'status') throw notFound(req.def, name);
      const base: KubeObject = { apiVersion: apiVersionOf(req.def), kind: req.def.kind, metadata: { name } };
      const created = serverSideApply(base, applied, options);
      return { status: 201, body: store.create(req.def, created, req.namespace, { mode: 'main', dryRun }) };
    }
    const result = serverSideApply(current, applied, options);
    return { status: 200, body: store.update(req.def, result, req.namespace, { mode: target, dryRun }) };
  }
  if (!current) throw notFound(req.def, name);
  let patched: unknown;
  switch (req.contentType) {
    case PATCH_TYPES.merge:
      patched = mergePatch(current, req.body);
      break;
    case PATCH_TYPES.strategic:
      if (!req.def.builtIn) {
        throw new KubeStatusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.apply}`,
        );
      }
      patched = strategicMergePatch(current, req.body);
      break;
    case PATCH_TYPES.json:
      patched = jsonPatch(current, req.body);
      break;
    default:
      throw new KubeStatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`,
      );
  }
  const result = withName(requireObject(patched), name);
  return { status: 200, body: store.update(req.def, result, req.namespace, { mode: target, dryRun }) };
}

function deleteOptions(req: ResourceRequest): { orphan: boolean; dryRun: boolean } {
  const body = isPlainObject(req.body) ? req.body : {};
  const policy = req.query.get('propagationPolicy') ?? body.propagationPolicy;
  const orphan =
    policy === 'Orphan' || req.query.get('orphanDependents') === 'true' || body.orphanDependents === true;
  const dryRun = req.query.has('dryRun') || (Array.isArray(body.dryRun) && body.dryRun.length > 0);
  return { orphan, dryRun };
}

function remove(req: ResourceRequest, store: ObjectStore): HandlerResult {
  const options = deleteOptions(req);
  if (req.name === undefined) {
    const matcher = matchesAll(
      parseLabelSelector(req.query.get('labelSelector') ?? undefined),
      parseFieldSelector(req.query.get('fieldSelector') ?? undefined),
    );
    const items = store
      .list(req.def, req.namespace, matcher)
      .map((o) => store.delete(req.def, o.metadata.namespace, o.metadata.name ?? '', options));
    const metadata = { resourceVersion: String(store.resourceVersion) };
    return {
      status: 200,
      body: { kind: `${req.def.kind}List`, apiVersion: apiVersionOf(req.def), metadata, items },
    };
  }
  if (req.subresource !== undefined) throw methodNotAllowed(req.method);
  const deleted = store.delete(req.def, req.namespace, req.name, options);
  const stillThere = !options.dryRun && store.get(req.def, req.namespace, req.name) !== undefined;
  if (stillThere || (req.def.kind === 'Pod' && !req.def.group)) return { status: 200, body: deleted };
  const details = {
    name: req.name,
    kind: req.def.plural,
    uid: deleted.metadata.uid,
    ...(req.def.group ? { group: req.def.group } : {}),
  };
  return {
    status: 200,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
  };
}

/** Get, list, create, replace, patch and delete on a resource (watch is served separately). */
export function handleResource(req: ResourceRequest, store: ObjectStore, now: number): HandlerResult {
  const dryRun = req.query.has('dryRun');
  switch (req.method) {
    case 'GET': {
      if (req.name === undefined) return list(req, store);
      checkSubresource(req);
      const obj = store.get(req.def, req.namespace, req.name);
      if (!obj) throw notFound(req.def, req.name);
      return { status: 200, body: obj };
    }
    case 'POST': {
      if (req.name !== undefined) throw methodNotAllowed(req.method);
      if (req.def.namespaced && req.namespace === undefined) throw pathNotFound();
      const body = requireObject(req.body);
      return { status: 201, body: store.create(req.def, body, req.namespace, { mode: 'main', dryRun }) };
    }
    case 'PUT': {
      const name = requireName(req);
      const mode = checkSubresource(req);
      const body = withName(requireObject(req.body), name);
      return { status: 200, body: store.update(req.def, body, req.namespace, { mode, dryRun }) };
    }
    case 'PATCH':
      return patch(req, store, now);
    case 'DELETE':
      return remove(req, store);
    default:
      throw methodNotAllowed(req.method);
  }
}
