import { describe, expect, it } from 'vitest';
import type { PhaseRecord } from '../common/sample.js';
import { attributeToPhases } from './pod-phases.js';
import type { PodTimelineEvent } from './pod-timeline.js';

const base = { workload: 'Deployment/web' };
const phases: PhaseRecord[] = [
  { name: 'baseline', startedAt: 100, endedAt: 200, status: 'passed' },
  { name: 'upgrade', startedAt: 200, endedAt: 300, status: 'passed', detail: '1.0.0→1.1.0' },
  { name: 'settle', startedAt: 300, endedAt: 400, status: 'failed' },
];

function restart(at: number, pod: string, increase = 1): PodTimelineEvent {
  return {
    kind: 'container-restarted',
    at,
    pod,
    ...base,
    container: 'app',
    restartCount: increase,
    increase,
  };
}

function warning(at: number, pod: string): PodTimelineEvent {
  return {
    kind: 'kube-event',
    at,
    eventType: 'Warning',
    reason: 'BackOff',
    message: 'back-off',
    involvedObject: { kind: 'Pod', name: pod },
    count: 1,
  };
}

describe('attributeToPhases', () => {
  it('counts restarts, not-ready transitions and warnings in the phase that contains them', () => {
    const events: PodTimelineEvent[] = [
      { kind: 'pod-added', at: 50, pod: 'old', ...base, initial: true },
      { kind: 'pod-added', at: 210, pod: 'new', ...base },
      {
        kind: 'image-changed',
        at: 210,
        pod: 'new',
        ...base,
        container: 'app',
        fromImage: 'a:1',
        toImage: 'a:2',
      },
      restart(250, 'new', 2),
      { kind: 'pod-not-ready', at: 250, pod: 'new', ...base },
      warning(260, 'new'),
      {
        kind: 'kube-event',
        at: 270,
        eventType: 'Normal',
        reason: 'Started',
        message: '',
        involvedObject: { kind: 'Pod', name: 'new' },
        count: 1,
      },
      { kind: 'pod-deleted', at: 280, pod: 'old', ...base },
      { kind: 'pod-not-ready', at: 300, pod: 'other', workload: 'StatefulSet/db' },
      restart(450, 'new'),
    ];
    const result = attributeToPhases(events, phases);
    expect(result.phases.map((p) => [p.phase, p.restarts, p.notReady, p.warnings])).toEqual([
      ['baseline', 0, 0, 0],
      ['upgrade', 2, 1, 1],
      ['settle', 0, 1, 0],
    ]);
    const upgrade = result.phases[1];
    expect(upgrade).toMatchObject({
      detail: '1.0.0→1.1.0',
      startedAt: 200,
      endedAt: 300,
      podsAdded: 1,
      podsDeleted: 1,
      imageChanges: 1,
      workloads: ['Deployment/web'],
    });
    expect(result.phases[2]?.workloads).toEqual(['StatefulSet/db']);
    // The initial pod (before any phase) is not churn; the late restart is outside every phase.
    expect(result.outside).toMatchObject({ restarts: 1, podsAdded: 0, workloads: ['Deployment/web'] });
  });

  it('gives an event at the end of the last phase to that phase, and counts it in overlapping phases', () => {
    const overlapping: PhaseRecord[] = [
      { name: 'upgrade', startedAt: 0, endedAt: 100, status: 'passed' },
      { name: 'rollback', startedAt: 50, endedAt: 150, status: 'passed' },
    ];
    const result = attributeToPhases([restart(75, 'p'), restart(150, 'p'), restart(151, 'p')], overlapping);
    expect(result.phases.map((p) => p.restarts)).toEqual([1, 2]);
    expect(result.outside.restarts).toBe(1);
  });

  it('puts everything outside when there are no phases, and is pure', () => {
    const events = [restart(10, 'p'), warning(20, 'p')];
    const copy = structuredClone(events);
    const result = attributeToPhases(events, []);
    expect(result.phases).toEqual([]);
    expect(result.outside).toMatchObject({ restarts: 1, warnings: 1, workloads: ['Deployment/web'] });
    expect(events).toEqual(copy);
    expect(attributeToPhases(events, [])).toEqual(result);
  });
});
