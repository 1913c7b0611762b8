/**
 * zod schemas of the scenario sections that say where a product runs and how it is installed:
 * the local method's services, the postgres, helm, operator and exec methods, and kind/k3d clusters.
 * Part of schema.ts (the scenario schema composes them).
 */
import { z } from 'zod';
import { expressionProblem } from '../methods/operator/operator-expressions.js';
import { expectedMessage } from './messages.js';
import {
  argvSchema,
  commandsSchema,
  envSchema,
  httpUrlSchema,
  nameSchema,
  nonNegativeNumber,
  positiveInt,
  urlPathSchema,
} from './schema-parts.js';
export const postgresServiceSchema = z.strictObject({
  name: nameSchema,
  postgres: z.strictObject({
    version: z.string().min(1),
    database: z.string().regex(/^[a-z_][a-z0-9_]*$/, {
      error: 'expected a database name of lowercase letters, digits and "_"',
    }),
  }),
});

export const processServiceSchema = z.strictObject({
  name: nameSchema,
  replicas: positiveInt.default(1),
  command: argvSchema,
  env: envSchema.default(() => ({})),
  readinessPath: urlPathSchema.default('/readyz'),
  front: z.boolean().default(false).meta({ description: "Served through the harness's front-door proxy." }),
  stopGraceSeconds: nonNegativeNumber.default(10),
});

/** A service with a `postgres` key is a database; any other is a process service. */
export const localServiceSchema = z.union([postgresServiceSchema, processServiceSchema], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? expectedMessage(
          'a service: {name, postgres: {version, database}} or {name, command, ...}',
          issue.input,
        )
      : undefined,
});

export const localMethodSchema = z.strictObject({
  services: z.array(localServiceSchema).min(1),
  hooks: z
    .strictObject({
      install: commandsSchema.default(() => []),
      preUpgrade: commandsSchema.default(() => []),
      postUpgrade: commandsSchema.default(() => []),
    })
    .prefault({}),
});

export const postgresMethodSchema = z
  .strictObject({
    database: nameSchema.default('app').meta({ description: 'Created at install; the traffic goes to it.' }),
    setup: z
      .array(z.string().min(1))
      .default(() => [])
      .meta({ description: 'SQL run once after install (e.g. CREATE TABLE), in order.' }),
  })
  .meta({
    description:
      'The postgres method: PostgreSQL itself is the product. Install starts a cluster at version N; upgrade and rollback are a minor-version binary swap (fast shutdown, start the same data directory with the other binaries), as a package upgrade does.',
  });

const imageTable = z.record(z.string().min(1), z.string().min(1)).default(() => ({}));

export const kubernetesSchema = z
  .strictObject({
    kindConfig: z
      .string()
      .min(1)
      .default('../kind-configs/single-node.yaml')
      .meta({ description: 'kind cluster config, relative to the scenario file.' }),
    k3dConfig: z
      .string()
      .min(1)
      .default('../kind-configs/k3d-single-node.yaml')
      .meta({ description: 'k3d cluster config, relative to the scenario file.' }),
    nodeImages: z
      .strictObject({
        kind: imageTable.meta({ description: 'Kubernetes version → kindest/node image (with its digest).' }),
        k3d: imageTable.meta({ description: 'Kubernetes version → rancher/k3s image for k3d.' }),
        k3s: imageTable.meta({ description: 'Kubernetes version → rancher/k3s image for the k3s platform.' }),
      })
      .prefault({})
      .meta({
        description:
          'Per platform: Kubernetes version → pinned node image; the custom axis kubernetes-version picks one. Defaults: the pinned images in kind-configs/README.md.',
      }),
    preloadImages: z
      .array(z.string().min(1))
      .default(() => [])
      .meta({
        description:
          'Local images loaded into the cluster before install (kind load docker-image / k3d image import).',
      }),
    access: z
      .strictObject({
        mode: z.enum(['port-forward', 'ingress']).default('port-forward'),
        service: z.string().min(1).meta({ description: 'The Service traffic goes to (port-forward).' }),
        port: positiveInt.meta({ description: 'Its port.' }),
        url: httpUrlSchema
          .optional()
          .meta({ description: 'ingress: the URL the cluster answers on (kind port mapping).' }),
      })
      .meta({ description: 'How traffic reaches the product in the cluster.' }),
    observe: z
      .strictObject({
        labelSelector: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'Only pods matching it are observed (default: every pod of the namespace).' }),
        logTailLines: positiveInt.default(200).meta({
          description: 'Log lines kept per container of a not-ready or restarted pod (diagnostics).',
        }),
      })
      .prefault({})
      .meta({ description: "What the pod observer watches in the product's namespace." }),
  })
  .meta({
    description: 'Kubernetes clusters (kind, k3d, k3s, existing), how traffic gets in, what is observed.',
  });

export const existingPlatformSchema = z
  .strictObject({
    urls: z
      .array(httpUrlSchema)
      .default(() => [])
      .meta({ description: 'Where the already running product answers (exec method).' }),
    kubernetes: z
      .strictObject({
        kubeconfig: z.string().min(1).optional().meta({
          description:
            'Kubeconfig file, relative to the scenario; default $KUBECONFIG, then ~/.kube/config. Never copied into reports.',
        }),
        context: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'Context in it; default its current-context.' }),
        namespacePrefix: z
          .string()
          .regex(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/, {
            message: 'expected a DNS label prefix of at most 22 characters, e.g. "uh"',
          })
          .default('uh'),
        deleteTimeoutSeconds: positiveInt.default(50).meta({
          description:
            'How long deleting a cell namespace may take at teardown (PVCs and finalizers can take minutes).',
        }),
      })
      .optional()
      .meta({
        description:
          'An existing Kubernetes cluster (helm, operator): each cell gets its own labelled namespace, deleted after the cell.',
      }),
  })
  .meta({ description: 'Something that already runs: URLs of a product, or a Kubernetes cluster.' });

export const helmMethodSchema = z
  .strictObject({
    chart: z
      .string()
      .min(1)
      .meta({ description: 'repo/name (with repo), oci://… reference, or a path relative to the scenario.' }),
    repo: httpUrlSchema.optional().meta({ description: 'Chart repository URL for a repo/name chart.' }),
    release: nameSchema.optional().meta({ description: 'Release name (default: the scenario name).' }),
    chartVersion: z
      .string()
      .min(1)
      .default('{{version}}')
      .meta({ description: 'Chart version for a product version; {{version}} is replaced.' }),
    chartVersions: z
      .record(z.string().min(1), z.string().min(1))
      .default(() => ({}))
      .meta({
        description:
          "Product version → chart version when the chart's versions differ from the product's (GitLab 18.2.1 → chart 9.2.1); wins over chartVersion.",
      }),
    values: z
      .array(z.string().min(1))
      .default(() => [])
      .meta({ description: 'Values files, relative to the scenario.' }),
    set: z
      .record(z.string().min(1), z.string())
      .default(() => ({}))
      .meta({ description: '--set key=value pairs; {{version}} is replaced.' }),
    timeoutSeconds: positiveInt
      .default(600)
      .meta({ description: 'helm --wait --timeout for install, upgrade and rollback.' }),
  })
  .meta({
    description:
      'The helm method: helm upgrade --install at N, upgrade to N+1, helm rollback to the revision of N.',
  });

/** A `ready`/`failed` expression, syntax-checked at load time (the method checks again at run time). */
const operatorExpressionSchema = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = expressionProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const operatorMethodSchema = z
  .strictObject({
    manifests: z
      .array(z.string().min(1))
      .default(() => [])
      .meta({
        description:
          'The operator itself: YAML files (relative to the scenario) or https:// URLs, several documents each, applied with server-side apply before the resource; {{version}} and {{operatorVersion}} are replaced.',
      }),
    chart: z
      .strictObject({
        chart: z
          .string()
          .min(1)
          .meta({ description: 'repo/name, oci://… or a path relative to the scenario.' }),
        repo: httpUrlSchema.optional(),
        release: nameSchema.default('operator'),
        version: z.string().min(1).default('{{operatorVersion}}'),
        values: z.array(z.string().min(1)).default(() => []),
        set: z.record(z.string().min(1), z.string()).default(() => ({})),
      })
      .optional()
      .meta({
        description:
          'Or install the operator from its Helm chart (the helm binary, as the helm method runs it).',
      }),
    operatorVersion: z
      .string()
      .min(1)
      .default('{{version}}')
      .meta({ description: 'Operator version for a product version; {{version}} is replaced.' }),
    operatorVersions: z
      .record(z.string().min(1), z.string().min(1))
      .default(() => ({}))
      .meta({ description: 'Product version → operator version; wins over operatorVersion.' }),
    versionValues: z
      .record(z.string().min(1), z.string().min(1))
      .default(() => ({}))
      .meta({
        description:
          'Product version → the value written into versionField when the resource speaks another numbering (GitLab Operator: spec.chart.version is the chart version, GitLab 18.2.1 → 9.2.1); {{version}} in the resource and in ready/failed then stands for that value.',
      }),
    upgrade: z.enum(['resource', 'operator', 'both']).default('resource').meta({
      description:
        "What an upgrade changes: the resource's version field, the operator itself (re-applied at N+1's operator version), or both (operator first).",
    }),
    namespace: nameSchema
      .optional()
      .meta({ description: "Namespace of the operator's chart release (manifests carry their own)." }),
    resource: z.string().min(1).meta({
      description:
        "The product's custom resource, a YAML file relative to the scenario; {{version}} is replaced.",
    }),
    versionField: z
      .string()
      .regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/, {
        message: 'expected a dotted field path such as "spec.version"',
      })
      .default('spec.version')
      .meta({ description: 'The field patched (merge patch) to move to another version.' }),
    ready: z
      .array(operatorExpressionSchema)
      .min(1)
      .default(() => ['Available=True'])
      .meta({
        description:
          'All must hold for the resource to count as at a version: "<Condition>=<True|False|Unknown>" or "<field.path>==<value>" ({{version}} replaced).',
      }),
    failed: z
      .array(operatorExpressionSchema)
      .default(() => ['Degraded=True'])
      .meta({
        description: 'Any of these ends the wait at once as a failed upgrade (same syntax as ready).',
      }),
    timeoutSeconds: positiveInt
      .default(600)
      .meta({ description: 'How long to wait for ready after each change.' }),
    fieldManager: nameSchema
      .default('upgrade-harness')
      .meta({ description: 'Server-side apply field manager.' }),
  })
  .superRefine((operator, ctx) => {
    if (operator.upgrade !== 'resource' && operator.manifests.length === 0 && !operator.chart) {
      ctx.addIssue({
        code: 'custom',
        path: ['upgrade'],
        message: `upgrade: ${operator.upgrade} re-installs the operator at the new version: list its manifests (files or https:// URLs) or give its chart`,
      });
    }
  })
  .meta({
    description:
      'The operator method: apply the custom resource at N with server-side apply, upgrade by patching its version field, wait on its status conditions, roll back by patching it back.',
  });

export const execMethodSchema = z.strictObject({
  install: commandsSchema,
  upgrade: commandsSchema,
  rollback: commandsSchema.default(() => []),
  cwd: z.string().min(1).optional(),
  env: envSchema.default(() => ({})),
});
