// A fake `kind` (v0.29) for tests: records its argv, keeps clusters in the state file, and
// answers with kind's own words, failures included (FAKE_KIND_FAIL=create,delete,load,...).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, failing, flag, hang, kubeconfig, loadState, out, record, saveState } from './fake-common.mjs';

const argv = process.argv.slice(2);
record('kind', argv);
const state = loadState();
const clusters = state.kind.clusters;
const find = (name) => clusters.find((c) => c.name === name);
const [verb, noun] = argv;
const name = flag(argv, '--name') ?? 'kind';

function create() {
  const config = flag(argv, '--config');
  const image = flag(argv, '--image') ?? 'kindest/node:v1.33.1';
  err(`Creating cluster "${name}" ...`);
  if (find(name)) {
    err(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`);
    process.exit(1);
  }
  if (config && !existsSync(config)) {
    err(`ERROR: failed to create cluster: error reading file: open ${config}: no such file or directory`);
    process.exit(1);
  }
  err(` ✓ Ensuring node image (${image.split('@')[0]}) 🖼`);
  if (failing('kind', 'create')) {
    err(' ✗ Preparing nodes 📦');
    err(
      `ERROR: failed to create cluster: command "docker run --name ${name}-control-plane --hostname ${name}-control-plane --label io.x-k8s.kind.role=control-plane --privileged ${image}" failed with error: exit status 125`,
    );
    err(
      'Command Output: docker: Error response from daemon: Conflict. The container name "/' +
        `${name}-control-plane" is already in use.`,
    );
    process.exit(1);
  }
  // From here on the node container exists: a kill leaves it behind, as with the real kind.
  clusters.push({ name, image, config, images: [] });
  saveState(state);
  if (failing('kind', 'create-hang')) {
    err(' ✓ Preparing nodes 📦');
    hang(120_000);
    return;
  }
  const path = flag(argv, '--kubeconfig') ?? process.env.KUBECONFIG;
  if (!path) {
    err('ERROR: fake kind refuses to write ~/.kube/config (pass --kubeconfig)');
    process.exit(1);
  }
  writeFileSync(path, kubeconfig(`kind-${name}`, 'https://127.0.0.1:6443'), { mode: 0o600 });
  err(' ✓ Preparing nodes 📦');
  err(' ✓ Writing configuration 📜');
  err(' ✓ Starting control-plane 🕹️');
  err(' ✓ Installing CNI 🔌');
  err(' ✓ Installing StorageClass 💾');
  if (flag(argv, '--wait')) err(` ✓ Waiting ≤ ${flag(argv, '--wait')} for control-plane = Ready ⏳`);
  err(`Set kubectl context to "kind-${name}"`);
  err(`You can now use your cluster with:\n\nkubectl cluster-info --context kind-${name}\n`);
}

function remove() {
  err(`Deleting cluster "${name}" ...`);
  if (failing('kind', 'delete')) {
    err(
      `ERROR: failed to delete cluster "${name}": failed to delete nodes: command "docker rm -f -v ${name}-control-plane" failed with error: exit status 1`,
    );
    process.exit(1);
  }
  const cluster = find(name);
  if (!cluster) return;
  state.kind.clusters = clusters.filter((c) => c !== cluster);
  saveState(state);
  err(`Deleted nodes: ["${name}-control-plane"]`);
}

function load() {
  const image = argv[2];
  const cluster = find(name);
  if (!cluster) {
    err(`ERROR: no nodes found for cluster "${name}"`);
    process.exit(1);
  }
  if (failing('kind', 'load')) {
    err(`ERROR: image: "${image}" not present locally`);
    process.exit(1);
  }
  cluster.images.push(image);
  saveState(state);
  err(
    `Image: "${image}" with ID "sha256:0123456789ab" not yet present on node "${name}-control-plane", loading...`,
  );
}

if (verb === 'create' && noun === 'cluster') create();
else if (verb === 'delete' && noun === 'cluster') remove();
else if (verb === 'get' && noun === 'clusters') {
  if (failing('kind', 'get-clusters')) {
    err(
      'ERROR: failed to list clusters: command "docker ps -a --filter label=io.x-k8s.kind.cluster --format \'{{.Label "io.x-k8s.kind.cluster"}}\'" failed with error: exit status 1',
    );
    err(
      'Command Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    );
    process.exit(1);
  }
  if (clusters.length === 0) err('No kind clusters found.');
  for (const c of [...clusters].sort((a, b) => a.name.localeCompare(b.name))) out(c.name);
} else if (verb === 'get' && noun === 'kubeconfig') {
  if (!find(name)) {
    err(
      `ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`,
    );
    process.exit(1);
  }
  out(kubeconfig(`kind-${name}`, 'https://127.0.0.1:6443'));
} else if (verb === 'load' && noun === 'docker-image') load();
else if (verb === 'export' && noun === 'logs') {
  const dir = argv[2];
  if (failing('kind', 'export-logs') || !find(name)) {
    err(`ERROR: unknown cluster "${name}"`);
    process.exit(1);
  }
  mkdirSync(join(dir, `${name}-control-plane`), { recursive: true });
  writeFileSync(join(dir, `${name}-control-plane`, 'kubelet.log'), 'I0101 kubelet started\n');
  writeFileSync(join(dir, 'kind-version.txt'), 'kind v0.29.0 go1.24.2 linux/amd64\n');
  err(`Exporting logs for cluster "${name}" to:`);
  out(dir);
} else if (verb === 'version') out('kind v0.29.0 go1.24.2 linux/amd64');
else {
  err(`ERROR: unknown command "${verb}" for "kind"`);
  process.exit(1);
}
