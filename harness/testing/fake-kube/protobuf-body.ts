import { KubeStatusError } from './status-error.js';

/**
 * Go clients (kubectl, helm's release storage) send built-in objects as Kubernetes protobuf
 * (`application/vnd.kubernetes.protobuf`): the magic `k8s\0`, then a runtime.Unknown holding the
 * apiVersion/kind and the object's own message. The fake decodes the few kinds those clients
 * write through typed clients — Secret, ConfigMap, Namespace, DeleteOptions — into their JSON
 * form; anything else is a 415 naming what is supported. Field numbers are those of
 * k8s.io/api and k8s.io/apimachinery's generated.proto.
 */
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

type FieldType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | { message: Schema }
  | { map: 'string' | 'bytes' };
interface FieldDef {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
type Schema = Record<number, FieldDef>;

const TYPE_META: Schema = { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } };
const UNKNOWN: Schema = {
  1: { name: 'typeMeta', type: { message: TYPE_META } },
  2: { name: 'raw', type: 'bytes' },
  3: { name: 'contentEncoding', type: 'string' },
  4: { name: 'contentType', type: 'string' },
};
const OWNER_REFERENCE: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: { message: OWNER_REFERENCE }, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const KINDS: Record<string, Schema> = {
  Secret: {
    1: { name: 'metadata', type: { message: OBJECT_META } },
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: { map: 'string' } },
    5: { name: 'immutable', type: 'bool' },
  },
  ConfigMap: {
    1: { name: 'metadata', type: { message: OBJECT_META } },
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool' },
  },
  Namespace: {
    1: { name: 'metadata', type: { message: OBJECT_META } },
    2: { name: 'spec', type: { message: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
    3: { name: 'status', type: { message: { 1: { name: 'phase', type: 'string' } } } },
  },
  DeleteOptions: {
    1: { name: 'gracePeriodSeconds', type: 'int' },
    2: {
      name: 'preconditions',
      type: {
        message: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } },
      },
    },
    3: { name: 'orphanDependents', type: 'bool' },
    4: { name: 'propagationPolicy', type: 'string' },
    5: { name: 'dryRun', type: 'string', repeated: true },
  },
};
const TIME: Schema = { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } };

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i += 1) {
      const byte = this.buf[this.pos];
      if (byte === undefined) throw new Error('truncated varint');
      this.pos += 1;
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }
    throw new Error('varint too long');
  }

  bytes(): Buffer {
    const length = this.varint();
    if (this.pos + length > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const reader = new Reader(buf);
  while (!reader.done) {
    const tag = reader.varint();
    const field = schema[Math.floor(tag / 8)];
    const wireType = tag % 8;
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    const { type } = field;
    let value: unknown;
    if (type === 'int' || type === 'bool') {
      const n = reader.varint();
      value = type === 'bool' ? n !== 0 : n;
    } else if (type === 'string') {
      value = reader.bytes().toString('utf8');
    } else if (type === 'bytes') {
      value = Buffer.from(reader.bytes()).toString('base64');
    } else if (type === 'time') {
      const seconds = Number(decodeMessage(reader.bytes(), TIME).seconds ?? 0);
      value = seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else if ('message' in type) {
      value = decodeMessage(reader.bytes(), type.message);
    } else {
      const entry = decodeMessage(reader.bytes(), {
        1: { name: 'key', type: 'string' },
        2: { name: 'value', type: type.map },
      });
      const map = (out[field.name] ?? {}) as Record<string, unknown>;
      map[String(entry.key ?? '')] = entry.value ?? '';
      out[field.name] = map;
      continue;
    }
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    // Go writes unset scalars as zero values; JSON would omit them (omitempty).
    else if (value !== undefined && value !== '' && value !== 0 && value !== false) out[field.name] = value;
  }
  return out;
}

/** Decodes a protobuf request body into the object's JSON form; 415 for kinds it does not know. */
export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  const unsupported = (what: string) =>
    new KubeStatusError(
      415,
      'UnsupportedMediaType',
      `fake-kube decodes protobuf only for ${Object.keys(KINDS).join(', ')} (got ${what}); send application/json`,
    );
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw unsupported('no k8s protobuf envelope');
  try {
    const unknown = decodeMessage(body.subarray(4), UNKNOWN);
    const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const schema = typeMeta.kind ? KINDS[typeMeta.kind] : undefined;
    if (!schema) throw unsupported(`${typeMeta.apiVersion ?? '?'} ${typeMeta.kind ?? '?'}`);
    // An all-default message (DeleteOptions{}) has no raw field at all.
    const raw = typeof unknown.raw === 'string' ? unknown.raw : '';
    const obj = decodeMessage(Buffer.from(raw, 'base64'), schema);
    return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...obj };
  } catch (err: unknown) {
    if (err instanceof KubeStatusError) throw err;
    throw new KubeStatusError(
      400,
      'BadRequest',
      `the protobuf body could not be decoded: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
