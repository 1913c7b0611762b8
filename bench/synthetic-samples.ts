import type { PhaseName, PhaseRecord, Sample } from '../harness/common/sample.js';

/** Simulated arrival rate of the synthetic samples: 10 M samples span 1000 s of a cell. */
const RATE_PER_S = 10_000;

/** A cell of `count` samples: baseline, upgrade, settle in thirds, a 0.5 % outage on new connections. */
export class SyntheticCell {
  readonly t0 = 1_700_000_000_000;
  readonly endMs: number;
  private readonly outageFrom: number;
  private readonly outageTo: number;
  private readonly switchAt: number;

  constructor(readonly count: number) {
    this.endMs = this.t0 + (count / RATE_PER_S) * 1000;
    this.outageFrom = Math.floor(count * 0.45);
    this.outageTo = Math.floor(count * 0.455);
    this.switchAt = Math.floor(count * 0.5);
  }

  phases(): PhaseRecord[] {
    const span = this.endMs - this.t0;
    const phase = (name: PhaseName, from: number, to: number): PhaseRecord => ({
      name,
      startedAt: this.t0 + span * from,
      endedAt: this.t0 + span * to,
      status: 'passed',
    });
    return [phase('baseline', 0, 1 / 3), phase('upgrade', 1 / 3, 2 / 3), phase('settle', 2 / 3, 1)];
  }

  /**
   * Sample `i`, a fresh object as a generator would yield it. Deterministic: a cheap integer hash
   * gives a 1-5 ms latency and one 5xx in 2000 outside the outage.
   */
  sample(i: number): Sample {
    const intendedStartMs = this.t0 + i * (1000 / RATE_PER_S);
    const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const reused = (i & 1) === 0;
    const latencyMs = 1 + (h % 4000) / 1000;
    const down = !reused && i >= this.outageFrom && i < this.outageTo;
    const outcome = down ? 'refused' : h % 2000 === 0 ? 'http_5xx' : 'ok';
    const s: Sample = {
      sampler: reused ? 'root:reused' : 'root:new',
      endpoint: 'root',
      endpointClass: 'api',
      connection: reused ? 'reused' : 'new',
      intendedStartMs,
      startMs: intendedStartMs + 0.05,
      endMs: intendedStartMs + (down ? 0.2 : latencyMs),
      outcome,
    };
    if (!down) {
      s.status = outcome === 'ok' ? 200 : 503;
      s.version = i < this.switchAt ? '1.0.0' : '1.1.0';
    }
    return s;
  }
}
