/**
 * The shapes of scenario and matrix files after validation and defaulting. The zod schemas in
 * `schema.ts` must infer exactly these (a compile-time assertion there keeps them in step).
 * Strings in commands and env may contain `{{...}}` templates, expanded at run time.
 */
import type { CellExpectation } from '../common/run-record.js';

export type Argv = string[];

export interface VersionProbeConfig {
  /** Response header that carries the serving version. */
  header?: string;
  /** Or a top-level JSON field of the response body. */
  jsonField?: string;
  /** Or, for SQL traffic, a query whose first column of the first row is the serving version. */
  sql?: string;
  /** A successful response that says no version: counted as not from the expected version (wrong, the default), or left out of the version checks (ignore). */
  unversioned?: 'wrong' | 'ignore';
}

export interface EndpointConfig {
  name: string;
  /** Endpoint class (api / web / git ...), for budgets and latency per class. */
  class: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  path: string;
  /** Relative weight in the traffic mix. */
  weight: number;
  expectStatus: number[];
  body?: string;
  headers?: Record<string, string>;
}

export interface WriterConfig {
  /** POST target for uniquely keyed writes; the body is a JSON object with `key` (and `title`). */
  path: string;
  /** Writes per second. */
  rate: number;
  /** Where a key is read back; `{{key}}` is replaced. */
  readPath: string;
}

/** What one endpoint class gets of its own in `traffic.classes`. */
export interface TrafficClassConfig {
  /** Requests per second per connection mode for this class's endpoints (else they share `traffic.rate`). */
  rate?: number;
  /** Request timeout of this class (else `traffic.timeoutMs`). */
  timeoutMs?: number;
}

export interface SqlStatementConfig {
  name: string;
  class: string;
  sql: string;
  weight: number;
}

/** SQL traffic against the installation's postgres:// URL, instead of HTTP endpoints. */
export interface SqlTrafficConfig {
  statements: SqlStatementConfig[];
  /** Data-integrity writer: uniquely keyed inserts, each committed key must read back. */
  writer?: { table: string; rate: number };
  /** Connections in the 'reused' pool. */
  poolSize: number;
}

export interface TrafficConfig {
  /** Requests per second per connection mode, spread by weight over the endpoints whose class has no own rate. */
  rate?: number;
  /** Rates and timeouts per endpoint class. */
  classes?: Record<string, TrafficClassConfig>;
  connections: Array<'reused' | 'new'>;
  /** Request timeout of the writer and of classes without their own. */
  timeoutMs: number;
  maxInFlight: number;
  /** HTTP endpoints (empty with `sql`). */
  endpoints: EndpointConfig[];
  writer?: WriterConfig;
  sql?: SqlTrafficConfig;
  /** Also write every sample to `cells/<id>/samples.ndjson.gz`. */
  rawSamples: boolean;
}

export interface ProfileConfig {
  /** Replaces `traffic.rate`. */
  rate?: number;
  /** Replaces (or gives) the rate of these endpoint classes. */
  classRates?: Record<string, number>;
  maxInFlight?: number;
  writerRate?: number;
}

export interface SloConfig {
  /** Success ratio over the upgrade window, e.g. 0.999. */
  successRatio: number;
  maxDowntimeSeconds: number;
  /** Lowest acceptable achieved/target rate before a cell is inconclusive. */
  minAchievedRateRatio: number;
  /** Lateness of the load schedule (p99) above which measurements are not trusted. */
  maxScheduleLagP99Ms: number;
  /** SLOs per endpoint class, judged over the upgrade window (absent: none). */
  classes?: Record<string, ClassSloConfig>;
  /** Latency SLO of the upgrade phase (absent: latency is reported, not judged). */
  latency?: LatencySloConfig;
  /** Allowed downtime per sampler (`<endpoint>:<reused|new>`); others use the class's or the cell's limit. */
  maxDowntimeSecondsPerSampler?: Record<string, number>;
}

export interface ClassSloConfig {
  /** Success ratio of this class's requests over the upgrade window. */
  successRatio?: number;
  /** Allowed downtime of each sampler of this class (unless the sampler has its own limit). */
  maxDowntimeSeconds?: number;
}

export interface LatencyLimits {
  /** Upper limit of the upgrade phase's p99 in ms. */
  p99Ms?: number;
  /** The upgrade phase's p99 may be at most this many times the baseline phase's p99. */
  p99VsBaseline?: number;
}

export interface LatencySloConfig extends LatencyLimits {
  /** Limits per endpoint class (that class's p99s). */
  classes?: Record<string, LatencyLimits>;
}

export interface TimingConfig {
  baselineSeconds: number;
  settleSeconds: number;
  provisionTimeoutSeconds: number;
  installTimeoutSeconds: number;
  upgradeTimeoutSeconds: number;
  rollbackTimeoutSeconds: number;
  /** How long a new replica may take to become ready before the rollout is failed. */
  readyTimeoutSeconds: number;
}

export interface LocalPostgresServiceConfig {
  name: string;
  postgres: { version: string; database: string };
}

export interface LocalProcessServiceConfig {
  name: string;
  replicas: number;
  /** argv; relative paths resolve against the scenario file's folder. */
  command: Argv;
  env: Record<string, string>;
  readinessPath: string;
  /** Served through the harness's front-door proxy (exactly one service must say so). */
  front: boolean;
  stopGraceSeconds: number;
}

export type LocalServiceConfig = LocalPostgresServiceConfig | LocalProcessServiceConfig;

export interface LocalMethodConfig {
  services: LocalServiceConfig[];
  hooks: {
    /** Commands run once before the first replica of a fresh install starts. */
    install: Argv[];
    /** Commands run before a rollout to the new version (e.g. migrations). */
    preUpgrade: Argv[];
    /** Commands run after every replica runs the new version (e.g. post-deploy migrations). */
    postUpgrade: Argv[];
  };
}

export interface ExecMethodConfig {
  install: Argv[];
  upgrade: Argv[];
  rollback: Argv[];
  cwd?: string;
  env: Record<string, string>;
}

/** Clusters for the kind and k3d platforms, and how traffic gets in. */
export interface KubernetesConfig {
  /** kind cluster config, relative to the scenario file. */
  kindConfig: string;
  /** k3d cluster config, relative to the scenario file. */
  k3dConfig: string;
  /** Per platform: Kubernetes version → node image (kind) or k3s image (k3d, k3s); the custom axis `kubernetes-version` picks one. */
  nodeImages: { kind: Record<string, string>; k3d: Record<string, string>; k3s: Record<string, string> };
  /** Local images loaded into the cluster before install. */
  preloadImages: string[];
  access: { mode: 'port-forward' | 'ingress'; service: string; port: number; url?: string };
  /** What the pod observer watches in the product's namespace. */
  observe: {
    /** Only pods matching it (default: every pod of the namespace). */
    labelSelector?: string;
    /** Log lines kept per container of a not-ready or restarted pod in diagnostics. */
    logTailLines: number;
  };
}

/** The helm method. */
export interface HelmMethodConfig {
  chart: string;
  repo?: string;
  release?: string;
  /** Chart version for a product version (`{{version}}` replaced). */
  chartVersion: string;
  /** Product version → chart version, when the chart's versions do not follow the product's (GitLab: 18.2.1 → 9.2.1). Wins over chartVersion. */
  chartVersions: Record<string, string>;
  values: string[];
  set: Record<string, string>;
  timeoutSeconds: number;
}

/** The operator method. */
export interface OperatorMethodConfig {
  /** The operator itself: YAML files or https URLs applied (server-side apply) before the resource; `{{version}}` and `{{operatorVersion}}` replaced. */
  manifests: string[];
  /** Or the operator from its Helm chart (installed with the helm binary, like the helm method). */
  chart?: OperatorChartConfig;
  /** Operator version for a product version (`{{version}}` replaced); default: the product version. */
  operatorVersion: string;
  /** Product version → operator version; wins over operatorVersion. */
  operatorVersions: Record<string, string>;
  /**
   * Product version → the value written into versionField, when the resource speaks another
   * numbering (the GitLab Operator's spec.chart.version is the chart's: GitLab 18.2.1 → 9.2.1). With it,
   * `{{version}}` in the resource and in ready/failed stands for that value.
   */
  versionValues: Record<string, string>;
  /** What an upgrade changes: the resource's version field, the operator itself (re-applied at N+1's operator version, first), or both. */
  upgrade: 'resource' | 'operator' | 'both';
  /** Namespace the operator's chart is installed into (manifests carry their own). */
  namespace?: string;
  /** The product's custom resource (YAML file, `{{version}}` replaced). */
  resource: string;
  /** Dotted path of the field patched to change version, e.g. `spec.version`. */
  versionField: string;
  /** All must hold: `Available=True` or `status.version=={{version}}`. */
  ready: string[];
  /** Any ends the wait as a failed upgrade. */
  failed: string[];
  timeoutSeconds: number;
  fieldManager: string;
}

export interface OperatorChartConfig {
  chart: string;
  repo?: string;
  release: string;
  /** Chart version; `{{operatorVersion}}` replaced. */
  version: string;
  values: string[];
  set: Record<string, string>;
}

/** The postgres method: PostgreSQL is the product; upgrades are minor-version binary swaps. */
export interface PostgresMethodConfig {
  /** Created at install; the traffic goes to it. */
  database: string;
  /** SQL run once after install, in order. */
  setup: string[];
}

export interface ExistingPlatformConfig {
  /** Where an already running product answers (exec method). */
  urls: string[];
  /** An existing Kubernetes cluster (helm, operator methods): each cell gets its own labelled namespace, deleted after. */
  kubernetes?: ExistingClusterConfig;
}

export interface ExistingClusterConfig {
  /** Kubeconfig file, relative to the scenario; default: $KUBECONFIG, then ~/.kube/config. Never copied into reports. */
  kubeconfig?: string;
  /** Context in it; default: its current-context. */
  context?: string;
  /** Namespaces are `<prefix>-<hash>`; default `uh`. */
  namespacePrefix: string;
  /** How long deleting a cell's namespace may take at teardown (seconds). */
  deleteTimeoutSeconds: number;
}

export interface ScenarioConfig {
  apiVersion: 'upgrade-harness/v1';
  kind: 'Scenario';
  name: string;
  description?: string;
  /** Known versions, oldest first. */
  versions: string[];
  versionProbe: VersionProbeConfig;
  readiness: { path: string };
  local?: LocalMethodConfig;
  exec?: ExecMethodConfig;
  postgres?: PostgresMethodConfig;
  helm?: HelmMethodConfig;
  operator?: OperatorMethodConfig;
  kubernetes?: KubernetesConfig;
  existing?: ExistingPlatformConfig;
  traffic: TrafficConfig;
  profiles: Record<string, ProfileConfig>;
  slo: SloConfig;
  timing: TimingConfig;
}

export type PlatformName = 'local' | 'existing' | 'kind' | 'k3d' | 'k3s';
export type MethodName = 'local' | 'exec' | 'postgres' | 'helm' | 'operator';
export type StrategyName = 'rolling' | 'recreate' | 'blue-green';
export type RollbackPolicy = 'never' | 'on-failure' | 'always';

export interface PathConfig {
  from: string;
  to: string;
  /**
   * Versions upgraded through on the way, in order, excluding from and to (resolved from the
   * matrix's catalog: required stops, or listed). Absent or empty: one hop, from → to.
   */
  via?: string[];
}

export interface StrategyOptions {
  rolling: { maxSurge: number; maxUnavailable: number };
}

/**
 * A path as written in a matrix file (axes.path, include, exclude, expect), before loading
 * resolves it against the matrix's catalog into a PathConfig.
 */
export interface PathInput {
  /** A version, or `n-K`: the version K places before `to` in the catalog's versions. */
  from: string;
  /** A version, or `latest`: the catalog's last version. */
  to: string;
  /**
   * `required-stops`: the catalog's required stops strictly between from and to; `direct`: none;
   * or the stops in order. Absent: one hop.
   */
  via?: 'required-stops' | 'direct' | string[];
}

/**
 * A partial set of axis values: used by include, exclude and expect rules. In exclude and expect,
 * a path without `via` matches a cell whatever its stops; with `via` the stops must be equal
 * (`via: []`, written `via: direct`, matches only cells without stops).
 */
export interface CellMatch<P = PathConfig> {
  platform?: PlatformName;
  method?: MethodName;
  strategy?: StrategyName;
  path?: P;
  rollback?: RollbackPolicy;
  profile?: string;
  custom?: Record<string, string>;
}

/** A matrix; `P` is PathInput as written in the file, PathConfig once loaded (resolved). */
export interface MatrixConfig<P = PathConfig> {
  apiVersion: 'upgrade-harness/v1';
  kind: 'Matrix';
  name: string;
  description?: string;
  /** Path of the scenario file, relative to the matrix file. */
  scenario: string;
  /** Path of a catalog file (versions, required stops), relative to the matrix file. */
  catalog?: string;
  axes: {
    platform: PlatformName[];
    method: MethodName[];
    strategy: StrategyName[];
    path: P[];
    rollback: RollbackPolicy[];
    profile: string[];
    custom: Record<string, string[]>;
  };
  /** Extra cells: each gives values for some axes; the rest take each axis's first value. */
  include: Array<CellMatch<P> & { expect?: CellExpectation }>;
  exclude: CellMatch<P>[];
  /** Expectations for cells that match, e.g. a release with a known defect must fail. */
  expect: Array<{ match: CellMatch<P> } & CellExpectation>;
  strategyOptions: StrategyOptions;
  concurrency: number;
}

/** A matrix as written in its file: paths not yet resolved against the catalog. */
export type MatrixInput = MatrixConfig<PathInput>;

/** A product's release catalog: its versions and the stops an upgrade must not skip. */
export interface CatalogConfig {
  apiVersion: 'upgrade-harness/v1';
  kind: 'Catalog';
  name: string;
  description?: string;
  /** Every version, oldest first. */
  versions: string[];
  /** Versions an upgrade must pass through (each one of `versions`). */
  requiredStops: string[];
}

/** One cell of an expanded matrix. */
export interface CellPlan {
  /** Readable and stable: the same axes give the same id in every run. */
  id: string;
  platform: PlatformName;
  method: MethodName;
  strategy: StrategyName;
  path: PathConfig;
  rollback: RollbackPolicy;
  profile: string;
  custom: Record<string, string>;
  expect?: CellExpectation;
  /**
   * Flat view for reports: platform, method, strategy (not for methods that ignore it), from, to,
   * via (`17.5.5,17.8.7`, only with stops), rollback, profile, custom axes.
   */
  axes: Record<string, string>;
}

/** A loaded, validated matrix with its scenario. */
export interface LoadedPlan {
  matrixFile: string;
  scenarioFile: string;
  matrix: MatrixConfig;
  scenario: ScenarioConfig;
  /** The matrix's catalog, when it names one. */
  catalogFile?: string;
  catalog?: CatalogConfig;
  cells: CellPlan[];
}
