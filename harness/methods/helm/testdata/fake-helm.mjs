// A stand-in for helm 3 in tests: records each call (argv and HELM_*/KUBECONFIG env) as a JSON line
// in $FAKE_HELM_LOG, keeps releases in the JSON file $FAKE_HELM_STATE and answers like helm 3.18
// (same stdout, stderr and exit codes). Failures are scripted by the state file's `fail` list:
//   install-fail        helm upgrade --install of a new release fails (INSTALLATION FAILED)
//   upgrade-deadline    an upgrade fails with "context deadline exceeded"
//   upgrade-condition   an upgrade fails with "timed out waiting for the condition"
//   rollback            helm rollback fails waiting for the resources
//   uninstall           helm uninstall fails
//   old-version         helm version prints 3.12 (no --labels yet)
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';

const args = process.argv.slice(2);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k === 'KUBECONFIG' || k.startsWith('HELM_')),
);
appendFileSync(process.env.FAKE_HELM_LOG, `${JSON.stringify({ argv: args, env })}\n`);

const statePath = process.env.FAKE_HELM_STATE;
const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
state.releases ??= {};
state.fail ??= [];
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
const failing = (mode) => state.fail.includes(mode);

function fail(message, code = 1) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(code);
}

const VALUE_FLAGS = new Set(['--version', '--namespace', '-n', '--kube-context', '--labels', '-l', '-f', '--values', '--set', '--timeout', '--output', '-o']);
const flags = {};
const positional = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (VALUE_FLAGS.has(a)) {
    const key = a === '-n' ? '--namespace' : a === '-f' ? '--values' : a === '-o' ? '--output' : a === '-l' ? '--labels' : a;
    (flags[key] ??= []).push(args[++i]);
  } else if (a.startsWith('-')) {
    flags[a] = [true];
  } else {
    positional.push(a);
  }
}
const one = (flag) => flags[flag]?.at(-1);
const namespace = one('--namespace') ?? 'default';
const [command, ...rest] = positional;
const now = () => new Date().toISOString().replace('Z', '+00:00');

function setPath(target, dotted, value) {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

function merge(into, from) {
  for (const [k, v] of Object.entries(from ?? {})) {
    if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object') merge(into[k], v);
    else into[k] = v;
  }
  return into;
}

function releaseKey(name) {
  return `${namespace}/${name}`;
}

function historyJson(release) {
  return release.revisions.map(({ revision, updated, status, chart, app_version, description }) => ({
    revision,
    updated,
    status,
    chart,
    app_version,
    description,
  }));
}

function printRelease(name, rev) {
  process.stdout.write(
    `NAME: ${name}\nLAST DEPLOYED: ${new Date().toUTCString()}\nNAMESPACE: ${namespace}\nSTATUS: ${rev.status}\nREVISION: ${rev.revision}\nTEST SUITE: None\n`,
  );
}

function upgrade([name, chartRef]) {
  if (!name || !chartRef) fail('"helm upgrade" requires 2 arguments');
  if (!flags['--install'] && !state.releases[releaseKey(name)]) fail(`UPGRADE FAILED: "${name}" has no deployed releases`);
  if (!chartRef.startsWith('oci://') && !chartRef.startsWith('/')) {
    const repo = chartRef.split('/')[0];
    const config = process.env.HELM_REPOSITORY_CONFIG;
    const known = config && existsSync(config) ? readFileSync(config, 'utf8') : '';
    if (!known.includes(`name: ${repo}\n`)) fail(`repo ${repo} not found`);
  }
  const chartVersion = one('--version') ?? '0.1.0';
  const config = {};
  for (const file of flags['--values'] ?? []) {
    if (!existsSync(file)) fail(`open ${file}: no such file or directory`);
    merge(config, parseYaml(readFileSync(file, 'utf8')));
  }
  for (const pair of flags['--set'] ?? []) {
    const eq = pair.indexOf('=');
    setPath(config, pair.slice(0, eq), pair.slice(eq + 1));
  }
  const chart = `${basename(chartRef)}-${chartVersion}`;
  const key = releaseKey(name);
  const existing = state.releases[key];
  const revision = {
    revision: existing ? existing.revisions.at(-1).revision + 1 : 1,
    updated: now(),
    status: 'deployed',
    chart,
    chartName: basename(chartRef),
    app_version: chartVersion,
    description: existing ? 'Upgrade complete' : 'Install complete',
    config,
  };
  if (!existing) {
    state.releases[key] = { name, namespace, labels: one('--labels') ?? '', revisions: [revision] };
    if (failing('install-fail')) {
      Object.assign(revision, { status: 'failed', description: 'Release "x" failed: context deadline exceeded' });
      save();
      fail('INSTALLATION FAILED: context deadline exceeded');
    }
    save();
    process.stdout.write(`Release "${name}" does not exist. Installing it now.\n`);
    printRelease(name, revision);
    return;
  }
  existing.revisions.push(revision);
  const reason = failing('upgrade-deadline')
    ? 'context deadline exceeded'
    : failing('upgrade-condition')
      ? 'timed out waiting for the condition'
      : undefined;
  if (reason) {
    Object.assign(revision, { status: 'failed', description: `Upgrade "${name}" failed: ${reason}` });
    save();
    fail(`UPGRADE FAILED: ${reason}`);
  }
  for (const r of existing.revisions.slice(0, -1)) if (r.status === 'deployed') r.status = 'superseded';
  save();
  process.stdout.write(`Release "${name}" has been upgraded. Happy Helming!\n`);
  printRelease(name, revision);
}

function rollback([name, target]) {
  const release = state.releases[releaseKey(name)];
  if (!release) fail('release: not found');
  const source = release.revisions.find((r) => String(r.revision) === target);
  if (!source) fail(`release has no ${target} version`);
  const revision = {
    ...source,
    revision: release.revisions.at(-1).revision + 1,
    updated: now(),
    status: 'deployed',
    description: `Rollback to ${target}`,
  };
  release.revisions.push(revision);
  if (failing('rollback')) {
    Object.assign(revision, { status: 'failed', description: `Release "${name}" failed: context deadline exceeded` });
    save();
    fail(`release ${name} failed: context deadline exceeded`);
  }
  for (const r of release.revisions.slice(0, -1)) if (r.status === 'deployed') r.status = 'superseded';
  save();
  process.stdout.write('Rollback was a success! Happy Helming!\n');
}

function found(name) {
  const release = state.releases[releaseKey(name)];
  if (!release) fail('release: not found');
  return release;
}

switch (command) {
  case 'version':
    process.stdout.write(failing('old-version') ? 'v3.12.3+g3a31588\n' : 'v3.18.0+gcc58e3f\n');
    break;
  case 'repo': {
    const [sub, name, url] = rest;
    if (sub !== 'add') fail(`unknown command "${sub}" for "helm repo"`);
    const config = process.env.HELM_REPOSITORY_CONFIG;
    mkdirSync(dirname(config), { recursive: true });
    appendFileSync(config, `- name: ${name}\n  url: ${url}\n`);
    process.stdout.write(`"${name}" has been added to your repositories\n`);
    break;
  }
  case 'upgrade':
    upgrade(rest);
    break;
  case 'history':
    process.stdout.write(`${JSON.stringify(historyJson(found(rest[0])))}\n`);
    break;
  case 'rollback':
    rollback(rest);
    break;
  case 'status': {
    const release = found(rest[0]);
    const last = release.revisions.at(-1);
    const [chartName, chartVersion] = [last.chartName, last.app_version];
    const status = {
      name: release.name,
      info: {
        first_deployed: release.revisions[0].updated,
        last_deployed: last.updated,
        deleted: '',
        description: last.description,
        status: last.status,
        notes: 'Visit http://127.0.0.1:8080 to use your application',
      },
      chart: {
        metadata: { name: chartName, version: chartVersion, appVersion: chartVersion, apiVersion: 'v2' },
        templates: [{ name: 'templates/secret.yaml', data: Buffer.from('kind: Secret').toString('base64') }],
        values: {},
      },
      config: last.config,
      manifest: `---\napiVersion: v1\nkind: Secret\ndata:\n  password: ${Buffer.from(JSON.stringify(last.config)).toString('base64')}\n`,
      version: last.revision,
      namespace: release.namespace,
    };
    process.stdout.write(`${JSON.stringify(status)}\n`);
    break;
  }
  case 'get': {
    if (rest[0] !== 'values') fail(`unknown command "${rest[0]}" for "helm get"`);
    process.stdout.write(`${JSON.stringify(found(rest[1]).revisions.at(-1).config)}\n`);
    break;
  }
  case 'uninstall': {
    const [name] = rest;
    const key = releaseKey(name);
    if (!state.releases[key]) {
      if (flags['--ignore-not-found']) break;
      fail(`uninstall: Release not loaded: ${name}: release: not found`);
    }
    if (failing('uninstall')) fail('uninstallation completed with 1 error(s): context deadline exceeded');
    delete state.releases[key];
    save();
    process.stdout.write(`release "${name}" uninstalled\n`);
    break;
  }
  default:
    fail(`unknown command "${command}" for "helm"`);
}
