import type { ResourceDef } from './types.js';

/** A `Status` object as the API server sends for failures. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: StatusDetails;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { type?: string; message: string; field?: string }[];
}

/** Thrown inside the fake; the HTTP layer answers it as a `Status` with its code. */
export class KubeStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeStatusError';
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** How messages name a resource: `pods`, `deployments.apps`. */
export function qualifiedResource(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

function details(def: ResourceDef, name: string): StatusDetails {
  return { name, kind: def.plural, ...(def.group ? { group: def.group } : {}) };
}

export function notFound(def: ResourceDef, name: string): KubeStatusError {
  return new KubeStatusError(
    404,
    'NotFound',
    `${qualifiedResource(def)} "${name}" not found`,
    details(def, name),
  );
}

export function alreadyExists(def: ResourceDef, name: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(def)} "${name}" already exists`,
    details(def, name),
  );
}

export function conflict(def: ResourceDef, name: string, why: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`,
    details(def, name),
  );
}

export const OBJECT_MODIFIED =
  'the object has been modified; please apply your changes to the latest version and try again';

export function invalid(def: ResourceDef, name: string, field: string, message: string): KubeStatusError {
  const kind = def.kind;
  return new KubeStatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${field}: ${message}`, {
    ...details(def, name),
    kind,
    causes: [{ type: 'FieldValueInvalid', message, field }],
  });
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

export function pathNotFound(): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export function methodNotAllowed(method: string): KubeStatusError {
  return new KubeStatusError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(message: string): KubeStatusError {
  return new KubeStatusError(403, 'Forbidden', message);
}

export function expired(requested: number, oldest: number): KubeStatusError {
  return new KubeStatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}
