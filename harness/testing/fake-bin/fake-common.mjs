// Shared by the fake kind and k3d executables (see fake-bin.ts). Plain JavaScript: each call of a
// fake is a fresh `node` process, and it must start fast.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Appends `{ tool, argv }` to the calls log named by FAKE_BIN_LOG. */
export function record(tool, argv) {
  const log = process.env.FAKE_BIN_LOG;
  if (log) appendFileSync(log, `${JSON.stringify({ tool, argv })}\n`);
}

/** The shared state file (FAKE_BIN_STATE): what clusters exist, what was loaded into them. */
export function loadState() {
  const file = process.env.FAKE_BIN_STATE;
  if (!file) return { kind: { clusters: [] }, k3d: { clusters: [] } };
  const state = JSON.parse(readFileSync(file, 'utf8'));
  state.kind ??= { clusters: [] };
  state.k3d ??= { clusters: [] };
  return state;
}

export function saveState(state) {
  const file = process.env.FAKE_BIN_STATE;
  if (!file) return;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Failure modes for `tool`, from FAKE_<TOOL>_FAIL (comma-separated, e.g. `create,delete`). */
export function failing(tool, mode) {
  const modes = (process.env[`FAKE_${tool.toUpperCase()}_FAIL`] ?? '').split(',').map((m) => m.trim());
  return modes.includes(mode);
}

/** The value after `--flag` or in `--flag=value`; undefined when absent. */
export function flag(argv, name) {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === name) return argv[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/** Every value of a repeated flag. */
export function flags(argv, name) {
  const values = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === name && argv[i + 1] !== undefined) values.push(argv[i + 1]);
    else if (argv[i].startsWith(`${name}=`)) values.push(argv[i].slice(name.length + 1));
  }
  return values;
}

/** A kubeconfig shaped like the real ones; its key is recognisable, so tests can look for leaks. */
export function kubeconfig(context, server) {
  const secret = Buffer.from(`FAKE-CLIENT-KEY-${context}`).toString('base64');
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from('FAKE-CA').toString('base64')}
    server: ${server}
  name: ${context}
contexts:
- context:
    cluster: ${context}
    user: ${context}
  name: ${context}
current-context: ${context}
kind: Config
preferences: {}
users:
- name: ${context}
  user:
    client-certificate-data: ${Buffer.from('FAKE-CERT').toString('base64')}
    client-key-data: ${secret}
`;
}

export function out(text) {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text) {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Stays alive (as a hung engine would) until killed; at most `ms`. */
export function hang(ms) {
  setTimeout(() => process.exit(0), ms);
}
