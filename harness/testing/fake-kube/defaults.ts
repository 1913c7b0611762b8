import { isPlainObject, type JsonObject } from './json-util.js';
import type { KubeObject, ResourceDef } from './types.js';

/**
 * The few defaults the real API server fills in that clients wait on: a Service's cluster IP
 * (helm --wait checks it), its port protocol and targetPort; replicas and the rolling-update
 * strategy of workloads (helm reads spec.replicas as set).
 */
export class Defaulter {
  private nextIp = 10;

  /** On create through the API. */
  create(def: ResourceDef, obj: KubeObject): void {
    const spec = isPlainObject(obj.spec) ? obj.spec : undefined;
    if (def.group === '' && def.kind === 'Service') {
      const s = spec ?? {};
      obj.spec = s;
      s.type ??= 'ClusterIP';
      if (s.type !== 'ExternalName' && s.clusterIP === undefined) {
        const ip = `10.96.${Math.floor(this.nextIp / 250)}.${(this.nextIp % 250) + 1}`;
        this.nextIp += 1;
        s.clusterIP = ip;
        s.clusterIPs = [ip];
      }
      s.sessionAffinity ??= 'None';
      s.ipFamilies ??= ['IPv4'];
      s.ipFamilyPolicy ??= 'SingleStack';
      s.internalTrafficPolicy ??= 'Cluster';
      defaultPorts(s);
    }
    if (def.group === 'apps' && spec) {
      if (def.kind !== 'DaemonSet') spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      if (def.kind === 'Deployment') {
        spec.progressDeadlineSeconds ??= 600;
        spec.strategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        };
      }
    }
  }

  /** On update through the API: what create defaulted and the client left out stays. */
  update(def: ResourceDef, next: KubeObject, prev: KubeObject): void {
    const spec = isPlainObject(next.spec) ? next.spec : undefined;
    const prevSpec = isPlainObject(prev.spec) ? prev.spec : undefined;
    if (def.group === '' && def.kind === 'Service' && spec && prevSpec) {
      for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
        if (spec[key] === undefined && prevSpec[key] !== undefined) spec[key] = prevSpec[key];
      }
      defaultPorts(spec);
    }
    if (def.group === 'apps' && spec && def.kind !== 'DaemonSet') spec.replicas ??= 1;
  }
}

function defaultPorts(spec: JsonObject): void {
  if (!Array.isArray(spec.ports)) return;
  for (const port of spec.ports) {
    if (!isPlainObject(port)) continue;
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
}
