import { describe, expect, it } from 'vitest';
import { decodeProtobufBody } from './protobuf-body.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { fromFieldsV1, leafPaths, toFieldsV1 } from './server-side-apply.js';
import { KubeStatusError } from './status-error.js';
import type { KubeObject } from './types.js';

const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', labels },
  ...extra,
});

describe('selectors', () => {
  it('matches label selectors with equality, sets and existence', () => {
    const web = obj({ app: 'web', tier: 'front', 'example.com/team': 'a' });
    const yes = [
      'app=web',
      'app==web,tier!=back',
      'app in (web, api)',
      'tier notin (back)',
      'example.com/team',
      '!gone',
      '',
    ];
    const no = ['app=api', 'app!=web', 'app in (api)', 'tier notin (front)', 'gone', '!tier', 'app=web,gone'];
    for (const s of yes) expect(parseLabelSelector(s)(web), s).toBe(true);
    for (const s of no) expect(parseLabelSelector(s)(web), s).toBe(false);
    expect(() => parseLabelSelector('app=(web')).toThrow(KubeStatusError);
  });

  it('matches field selectors on dotted paths', () => {
    const pod = obj({}, { status: { phase: 'Running' } });
    expect(parseFieldSelector('metadata.name=p,status.phase==Running')(pod)).toBe(true);
    expect(parseFieldSelector('metadata.namespace!=ns')(pod)).toBe(false);
    expect(parseFieldSelector('spec.nodeName=')(pod)).toBe(true);
  });
});

describe('managed fields', () => {
  it('round-trips leaf paths through the FieldsV1 form, leaving out server-owned metadata', () => {
    const applied: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n', labels: { a: 'b' }, resourceVersion: '3' },
      data: { x: '1', y: '2' },
      status: { ignored: true },
    };
    const paths = leafPaths(applied, true);
    expect(paths).toEqual([
      ['metadata', 'labels', 'a'],
      ['data', 'x'],
      ['data', 'y'],
    ]);
    const fields = toFieldsV1(paths);
    expect(fields).toEqual({
      'f:metadata': { 'f:labels': { 'f:a': {} } },
      'f:data': { 'f:x': {}, 'f:y': {} },
    });
    expect(fromFieldsV1(fields)).toEqual(paths);
  });
});

/** A minimal protobuf writer, to produce what Go clients send. */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
const field = (num: number, payload: Buffer | string): Buffer => {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.from([...varint(num * 8 + 2), ...varint(bytes.length), ...bytes]);
};
const mapEntry = (num: number, key: string, value: Buffer | string) =>
  field(num, Buffer.concat([field(1, key), field(2, value)]));

describe('protobuf request bodies', () => {
  it('decodes a Secret as helm writes it (empty strings and zero times left out)', () => {
    const zeroTime = Buffer.alloc(0);
    const meta = Buffer.concat([
      field(1, 'sh.helm.release.v1.rel.v1'),
      field(3, ''),
      field(8, zeroTime),
      mapEntry(11, 'owner', 'helm'),
      mapEntry(11, 'status', 'deployed'),
    ]);
    const secret = Buffer.concat([
      field(1, meta),
      mapEntry(2, 'release', Buffer.from([0, 1, 2, 255])),
      field(3, 'helm.sh/release.v1'),
    ]);
    const unknown = Buffer.concat([
      field(1, Buffer.concat([field(1, 'v1'), field(2, 'Secret')])),
      field(2, secret),
    ]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
    expect(decodeProtobufBody(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.rel.v1', labels: { owner: 'helm', status: 'deployed' } },
      data: { release: Buffer.from([0, 1, 2, 255]).toString('base64') },
      type: 'helm.sh/release.v1',
    });
  });

  it('answers kinds it cannot decode with 415', () => {
    const unknown = field(1, Buffer.concat([field(1, 'apps/v1'), field(2, 'Deployment')]));
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
    expect(() => decodeProtobufBody(body)).toThrow(expect.objectContaining({ code: 415 }));
  });
});
