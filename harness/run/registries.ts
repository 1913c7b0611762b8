import { Registry } from '../common/registry.js';
import { BuiltinLoadDriver } from '../load/builtin/builtin-driver.js';
import type { LoadDriver } from '../load/load-driver.js';
import { SqlLoadDriver } from '../load/sql/sql-load-driver.js';
import { ExecMethod } from '../methods/exec/exec-method.js';
import { HelmMethod } from '../methods/helm/helm-method.js';
import { LocalMethod } from '../methods/local/local-method.js';
import type { Method } from '../methods/method.js';
import { OperatorMethod } from '../methods/operator/operator-method.js';
import { PostgresMethod } from '../methods/postgres/postgres-method.js';
import { ExistingPlatform } from '../platforms/existing/existing-platform.js';
import { K3dPlatform } from '../platforms/k3d/k3d-platform.js';
import { K3sPlatform } from '../platforms/k3s/k3s-platform.js';
import { KindPlatform } from '../platforms/kind/kind-platform.js';
import { LocalPlatform } from '../platforms/local/local-platform.js';
import type { Platform } from '../platforms/platform.js';

export interface Registries {
  platforms: Registry<Platform>;
  methods: Registry<Method>;
  loadDrivers: Registry<LoadDriver>;
}

export interface RegistryOptions {
  /** The helm binary of the helm method (default `helm` on PATH). */
  helmPath?: string;
  /** The existing platform's kubeconfig when a scenario names none (the CLI passes `$KUBECONFIG` or `~/.kube/config`). */
  defaultKubeconfig?: string;
}

/** The built-in plugins. Each call builds fresh registries: there is no global one. */
export function defaultRegistries(options: RegistryOptions = {}): Registries {
  return {
    platforms: new Registry<Platform>('platform')
      .register('local', () => new LocalPlatform())
      .register(
        'existing',
        () =>
          new ExistingPlatform(
            options.defaultKubeconfig ? { defaultKubeconfig: options.defaultKubeconfig } : {},
          ),
      )
      .register('kind', () => new KindPlatform())
      .register('k3d', () => new K3dPlatform())
      .register('k3s', () => new K3sPlatform()),
    methods: new Registry<Method>('method')
      .register('local', () => new LocalMethod())
      .register('exec', () => new ExecMethod())
      .register('postgres', () => new PostgresMethod())
      .register('helm', () => new HelmMethod(options.helmPath ? { helmPath: options.helmPath } : {}))
      .register('operator', () => new OperatorMethod()),
    loadDrivers: new Registry<LoadDriver>('load driver')
      .register('builtin', () => new BuiltinLoadDriver())
      .register('sql', () => new SqlLoadDriver()),
  };
}
