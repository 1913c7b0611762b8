import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { ArrivalScheduler } from './arrival-scheduler.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ArrivalScheduler', () => {
  it('hands over every arrival of every stream at t0 + i/rate, in intended order, until the window ends', async () => {
    const seen: Array<{ tag: string; at: number; handedAt: number }> = [];
    const scheduler = new ArrivalScheduler({
      clock: systemClock,
      streams: [
        { ratePerSecond: 100, tag: 'a' },
        { ratePerSecond: 40, tag: 'b' },
      ],
      durationMs: 200,
      onDue: (tag, at) => seen.push({ tag, at, handedAt: systemClock.now() }),
    });
    scheduler.start();
    const t0 = scheduler.startedAt;
    for (let i = 0; i < 100 && !scheduler.ended; i++) await wait(20);
    expect(scheduler.ended).toBe(true);
    expect(scheduler.endedAt).toBe(t0 + 200);
    const a = seen.filter((s) => s.tag === 'a').map((s) => Math.round(s.at - t0));
    const b = seen.filter((s) => s.tag === 'b').map((s) => Math.round(s.at - t0));
    expect(a).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(b).toEqual(Array.from({ length: 8 }, (_, i) => i * 25));
    expect(scheduler.scheduled).toBe(28);
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.at).toBeGreaterThanOrEqual(seen[i - 1]?.at ?? 0);
    for (const s of seen) expect(s.handedAt).toBeGreaterThanOrEqual(s.at);
    expect(scheduler.lagP99Ms()).toBeGreaterThanOrEqual(0);
  });

  it('keeps intended times when a blocked event loop makes it late, and end() hands over what is due', async () => {
    const seen: number[] = [];
    const scheduler = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 1000, tag: 'x' }],
      durationMs: 10_000,
      onDue: (_tag, at) => seen.push(at),
    });
    scheduler.start();
    const t0 = scheduler.startedAt;
    const blockedUntil = performance.now() + 50;
    while (performance.now() < blockedUntil) {
      // keep the event loop busy: the schedule must catch up, not skip
    }
    scheduler.end();
    expect(scheduler.ended).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(50);
    expect(seen.map((at) => Math.round(at - t0))).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(scheduler.lagP99Ms()).toBeGreaterThan(10);
    const count = seen.length;
    await wait(20);
    expect(seen.length).toBe(count);
    scheduler.end();
  });

  it('ends at once on an aborted signal and refuses a non-positive rate', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const scheduler = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 100, tag: 'x' }],
      durationMs: 10_000,
      signal: controller.signal,
      onDue: (_tag, at) => seen.push(at),
    });
    scheduler.start();
    await wait(30);
    controller.abort();
    const count = seen.length;
    expect(scheduler.ended).toBe(true);
    expect(scheduler.endedAt).toBeLessThan(scheduler.startedAt + 10_000);
    await wait(30);
    expect(seen.length).toBe(count);
    expect(
      () =>
        new ArrivalScheduler({
          clock: systemClock,
          streams: [{ ratePerSecond: 0, tag: 1 }],
          durationMs: 1,
          onDue: () => {},
        }),
    ).toThrow(/positive/);
  });
  it('poll() hands over what is due without waiting for the timer, also from inside onDue', async () => {
    const seen: Array<{ at: number; handedAt: number }> = [];
    let nested = 0;
    const scheduler: ArrivalScheduler<string> = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 1000, tag: 'x' }],
      durationMs: 10_000,
      onDue: (_tag, at, handedAt) => {
        seen.push({ at, handedAt });
        nested++;
        scheduler.poll(); // must not re-enter the hand-over
        nested--;
        expect(nested).toBe(0);
      },
    });
    scheduler.start();
    const t0 = scheduler.startedAt;
    const first = seen.length;
    const busyUntil = performance.now() + 20;
    while (performance.now() < busyUntil) {
      // no timer can fire while this runs
    }
    scheduler.poll();
    expect(seen.length).toBeGreaterThanOrEqual(first + 19);
    expect(seen.map((s) => Math.round(s.at - t0))).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    for (const s of seen) expect(s.handedAt).toBeGreaterThanOrEqual(s.at);
    scheduler.end();
    const count = seen.length;
    scheduler.poll();
    await wait(10);
    expect(seen.length).toBe(count);
  });

  it('skips arrivals in bulk while full, counts every one, and resumes on schedule without a burst', async () => {
    let full = false;
    let skipped = 0;
    const sent: number[] = [];
    const scheduler = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 1000, tag: 'x' }],
      durationMs: 10_000,
      onDue: (_tag, at) => sent.push(at),
      isFull: () => full,
      onSkipped: (_tag, count) => {
        skipped += count;
      },
    });
    scheduler.start();
    const t0 = scheduler.startedAt;
    await wait(20);
    full = true;
    const busyUntil = performance.now() + 60;
    while (performance.now() < busyUntil) {
      // 60 arrivals come due while nothing can be sent
    }
    scheduler.poll();
    expect(skipped).toBe(0); // not yet: answers that already arrived are read first
    await new Promise((r) => setImmediate(r));
    const skippedWhileFull = skipped;
    expect(skippedWhileFull).toBeGreaterThanOrEqual(55);
    full = false;
    await wait(20);
    scheduler.end();
    // Every arrival is either sent or skipped, each exactly once, in order.
    expect(sent.length + skipped).toBe(scheduler.scheduled);
    const indexes = sent.map((at) => Math.round(at - t0));
    for (let i = 1; i < indexes.length; i++) expect(indexes[i]).toBeGreaterThan(indexes[i - 1] ?? -1);
    expect(skipped).toBe(skippedWhileFull);
    expect((indexes[indexes.length - 1] ?? 0) + 1).toBe(scheduler.scheduled);
    // The skipped ones were never sent, so they are not late: the 60 ms stall is not in the lag.
    expect(scheduler.lagP99Ms()).toBeLessThan(50);
  });

  it('does not skip what only looked full: a slot freed by pending I/O is used for the overdue arrivals', async () => {
    let full = false;
    let skipped = 0;
    const sent: number[] = [];
    const scheduler = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 1000, tag: 'x' }],
      durationMs: 10_000,
      onDue: (_tag, at) => sent.push(at),
      isFull: () => full,
      onSkipped: (_tag, count) => {
        skipped += count;
      },
    });
    scheduler.start();
    await wait(10);
    full = true;
    // An answer that arrived during the stall is read in this loop turn, before the re-check.
    setImmediate(() => {
      full = false;
    });
    const before = sent.length;
    const busyUntil = performance.now() + 30;
    while (performance.now() < busyUntil) {
      // our own event loop stalls: ~30 arrivals come due
    }
    scheduler.poll();
    await new Promise((r) => setImmediate(r));
    scheduler.end();
    expect(skipped).toBe(0);
    expect(sent.length - before).toBeGreaterThanOrEqual(28);
    expect(sent.length).toBe(scheduler.scheduled);
  });

  it('counts every arrival of the window when it ends while full, by its deadline or by an abort', async () => {
    for (const how of ['deadline', 'abort'] as const) {
      const controller = new AbortController();
      let skipped = 0;
      let sent = 0;
      const scheduler = new ArrivalScheduler({
        clock: systemClock,
        streams: [{ ratePerSecond: 1000, tag: 'x' }],
        durationMs: 100,
        signal: controller.signal,
        onDue: () => {
          sent++;
        },
        isFull: () => true,
        onSkipped: (_tag, count) => {
          skipped += count;
        },
      });
      scheduler.start();
      const busyUntil = performance.now() + 150;
      while (performance.now() < busyUntil) {
        // the whole window passes while this event loop is stalled and the cap is full
      }
      if (how === 'abort') controller.abort();
      for (let i = 0; i < 50 && !scheduler.ended; i++) await wait(10);
      expect(scheduler.ended, how).toBe(true);
      expect(sent, how).toBe(0);
      expect(skipped, how).toBe(scheduler.scheduled);
      expect(scheduler.scheduled, how).toBe(100);
    }
  });

  it('hands nothing over after end() is called from inside onDue', () => {
    const seen: number[] = [];
    const scheduler: ArrivalScheduler<string> = new ArrivalScheduler({
      clock: systemClock,
      streams: [{ ratePerSecond: 1000, tag: 'x' }],
      durationMs: 10_000,
      onDue: (_tag, at) => {
        seen.push(at);
        if (seen.length === 5) scheduler.end();
      },
    });
    scheduler.start();
    const busyUntil = performance.now() + 20;
    while (performance.now() < busyUntil) {
      // ~20 arrivals come due
    }
    scheduler.poll();
    expect(seen).toHaveLength(5);
    expect(scheduler.ended).toBe(true);
  });
});
