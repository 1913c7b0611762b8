// A fake `k3d` (v5.8) for tests: records its argv, keeps clusters in the state file, and answers
// with k3d's own log lines, failures included (FAKE_K3D_FAIL=create,delete,load,list,...).
import { existsSync } from 'node:fs';
import {
  err,
  failing,
  flag,
  flags,
  hang,
  kubeconfig,
  loadState,
  out,
  record,
  saveState,
} from './fake-common.mjs';

const argv = process.argv.slice(2);
record('k3d', argv);
const state = loadState();
const clusters = state.k3d.clusters;
const find = (name) => clusters.find((c) => c.name === name);
const [group, verb, name] = argv;

/** `KEY=VALUE@FILTER` → [KEY, VALUE]. */
function label(spec) {
  const [kv] = spec.split('@');
  const eq = kv.indexOf('=');
  return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
}

function create() {
  const config = flag(argv, '--config');
  const image = flag(argv, '--image') ?? 'rancher/k3s:v1.31.5-k3s1';
  if (config) {
    if (!existsSync(config)) {
      err(`FATA[0000] Failed to read config file ${config}: open ${config}: no such file or directory`);
      process.exit(1);
    }
    out(`INFO[0000] Using config file ${config} (k3d.io/v1alpha5#simple)`);
  }
  if (find(name)) {
    err(`FATA[0000] Failed to create cluster '${name}' because a cluster with that name already exists`);
    process.exit(1);
  }
  out(`INFO[0000] Prep: Network\nINFO[0000] Created network 'k3d-${name}'`);
  if (failing('k3d', 'create')) {
    err(
      `ERRO[0002] Failed Cluster Creation: failed setup of server/agent node k3d-${name}-server-0: failed to create node: runtime failed to create node 'k3d-${name}-server-0': failed to create container for node 'k3d-${name}-server-0': docker failed to pull image '${image}': Error response from daemon: manifest unknown`,
    );
    err('ERRO[0002] Failed to create cluster >>> Rolling Back');
    out(`INFO[0002] Deleting cluster '${name}'`);
    err('FATA[0002] Cluster creation FAILED, all changes have been rolled back!');
    process.exit(1);
  }
  const runtimeLabels = Object.fromEntries(flags(argv, '--runtime-label').map(label));
  clusters.push({ name, image, config, runtimeLabels, images: [] });
  saveState(state);
  if (failing('k3d', 'create-hang')) {
    hang(120_000);
    return;
  }
  out(`INFO[0000] Creating node 'k3d-${name}-server-0'`);
  out(`INFO[0001] Creating LoadBalancer 'k3d-${name}-serverlb'`);
  out('INFO[0010] Cluster created with 1 server(s) and 0 agent(s)');
  out(`INFO[0012] Cluster '${name}' created successfully!`);
  out(`INFO[0012] You can now use it like this:\nkubectl cluster-info`);
}

function list() {
  if (failing('k3d', 'list')) {
    err(
      'FATA[0000] Failed to get clusters: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    );
    process.exit(1);
  }
  const wanted = verb === 'list' && name && !name.startsWith('-') ? name : undefined;
  const selected = wanted ? clusters.filter((c) => c.name === wanted) : clusters;
  if (wanted && selected.length === 0) {
    err(`FATA[0000] failed to get cluster '${wanted}': No nodes found for given cluster`);
    process.exit(1);
  }
  const json = selected.map((c) => ({
    name: c.name,
    network: { name: `k3d-${c.name}`, External: false },
    clusterToken: `FAKE-K3D-TOKEN-${c.name}`,
    nodes: [
      {
        name: `k3d-${c.name}-server-0`,
        role: 'server',
        image: c.image,
        runtimeLabels: { 'k3d.cluster': c.name, 'k3d.role': 'server', ...c.runtimeLabels },
        env: [`K3S_TOKEN=FAKE-K3D-TOKEN-${c.name}`],
        State: { Running: true, Status: 'running', Started: '' },
      },
      {
        name: `k3d-${c.name}-serverlb`,
        role: 'loadbalancer',
        image: 'ghcr.io/k3d-io/k3d-proxy:5.8.3',
        runtimeLabels: { 'k3d.cluster': c.name, 'k3d.role': 'loadbalancer' },
        State: { Running: true, Status: 'running', Started: '' },
      },
    ],
  }));
  out(JSON.stringify(json));
}

function remove() {
  if (failing('k3d', 'delete')) {
    err(
      `FATA[0000] Failed to delete cluster '${name}': failed to delete node 'k3d-${name}-server-0': Error response from daemon: removal of container is already in progress`,
    );
    process.exit(1);
  }
  const cluster = find(name);
  if (!cluster) {
    out(`INFO[0000] No nodes found for cluster '${name}', nothing to delete.`);
    return;
  }
  state.k3d.clusters = clusters.filter((c) => c !== cluster);
  saveState(state);
  out(`INFO[0000] Deleting cluster '${name}'`);
  out(`INFO[0001] Successfully deleted cluster ${name}!`);
}

function imageImport() {
  const image = name;
  const target = flag(argv, '--cluster') ?? flag(argv, '-c') ?? 'k3s-default';
  const cluster = find(target);
  if (!cluster) {
    err(`ERRO[0000] Failed to get cluster ${target}: No nodes found for given cluster`);
    err('FATA[0000] Failed to import image(s) into cluster(s)');
    process.exit(1);
  }
  if (failing('k3d', 'load')) {
    err(`ERRO[0000] failed to import images: image '${image}' not found locally`);
    err(`FATA[0000] Failed to import image(s) into cluster '${target}'`);
    process.exit(1);
  }
  cluster.images.push(image);
  saveState(state);
  out(`INFO[0000] Importing image(s) into cluster '${target}'`);
  out(`INFO[0003] Successfully imported 1 image(s) into 1 cluster(s)`);
}

if (group === 'cluster' && verb === 'create') create();
else if (group === 'cluster' && verb === 'list') list();
else if (group === 'cluster' && verb === 'delete') remove();
else if (group === 'kubeconfig' && verb === 'get') {
  if (!find(name)) {
    err(`FATA[0000] Failed to get cluster '${name}': No nodes found for given cluster`);
    process.exit(1);
  }
  out(kubeconfig(`k3d-${name}`, 'https://0.0.0.0:40000'));
} else if (group === 'image' && verb === 'import') imageImport();
else if (group === 'version') out('k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)');
else {
  err(`FATA[0000] unknown command "${group}" for "k3d"`);
  process.exit(1);
}
