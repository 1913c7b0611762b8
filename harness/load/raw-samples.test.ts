import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sample } from '../common/sample.js';
import { RawSampleWriter, readRawSamples } from './raw-samples.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raw-samples-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sample(i: number): Sample {
  const s: Sample = {
    sampler: i % 2 ? 'home:new' : 'home:reused',
    endpoint: 'home',
    endpointClass: 'web',
    connection: i % 2 ? 'new' : 'reused',
    intendedStartMs: 1_900_000_000_000 + i * 0.125,
    startMs: 1_900_000_000_000 + i * 0.125 + 0.0371,
    endMs: 1_900_000_000_000 + i * 0.125 + 3.5,
    outcome: i % 97 === 0 ? 'http_5xx' : 'ok',
  };
  if (i % 97 === 0) s.status = 503;
  else s.version = i % 3 ? '1.0.0' : 'v2 «ünïcode»';
  return s;
}

describe('RawSampleWriter', () => {
  it('round-trips every sample through gzipped NDJSON, honouring backpressure', async () => {
    const path = join(dir, 'samples.ndjson.gz');
    const writer = new RawSampleWriter(path);
    const written: Sample[] = [];
    let waits = 0;
    for (let i = 0; i < 50_000; i++) {
      const s = sample(i);
      written.push(s);
      if (!writer.write(s)) {
        waits++;
        await writer.drained();
      }
    }
    expect(waits).toBeGreaterThan(0);
    expect(await writer.close()).toEqual({ path, samples: 50_000 });
    const read: Sample[] = [];
    for await (const s of readRawSamples(path)) read.push(s);
    expect(read).toEqual(written);
    // Plain NDJSON inside the gzip: one JSON object per line.
    const text = gunzipSync(await readFile(path)).toString('utf8');
    expect(text.split('\n')).toHaveLength(50_001);
    expect(JSON.parse(text.split('\n')[1] as string)).toEqual(written[1]);
  });

  it('writes a valid empty file when closed without samples, and refuses writes after close', async () => {
    const path = join(dir, 'empty.ndjson.gz');
    const writer = new RawSampleWriter(path);
    await writer.close();
    expect(gunzipSync(await readFile(path)).length).toBe(0);
    expect(() => writer.write(sample(1))).toThrow(/after close/);
  });

  it('reports a file that cannot be written when closed, and a missing file when read', async () => {
    const writer = new RawSampleWriter(join(dir, 'no-such-dir', 'samples.ndjson.gz'));
    writer.write(sample(1));
    await writer.drained();
    await expect(writer.close()).rejects.toThrow(/ENOENT/);
    const reading = async () => {
      for await (const _s of readRawSamples(join(dir, 'missing.gz'))) {
        // nothing to read
      }
    };
    await expect(reading()).rejects.toThrow(/ENOENT/);
  });
});
