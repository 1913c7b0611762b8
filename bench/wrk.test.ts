import { describe, expect, it } from 'vitest';
import { parseWrkOutput } from './wrk.js';

const REPORT = `Running 10s test @ http://127.0.0.1:40001/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.95ms  210.00us   9.10ms   90.00%
    Req/Sec    52.90k     3.10k   58.00k    71.00%
  526958 requests in 10.01s, 95.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  52643.01
Transfer/sec:      9.49MB
`;

describe('parseWrkOutput', () => {
  it('reads totals, rate and errors from a wrk report', () => {
    expect(parseWrkOutput(REPORT)).toEqual({
      requests: 526958,
      durationS: 10.01,
      requestsPerSecond: 52643.01,
      non2xx: 7,
      socketErrors: 3,
    });
  });

  it('converts minutes and throws on output that is not a report', () => {
    const minutes = REPORT.replace('in 10.01s', 'in 1.00m');
    expect(parseWrkOutput(minutes).durationS).toBe(60);
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1')).toThrow(/unexpected wrk output/);
  });
});
