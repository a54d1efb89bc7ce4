#!/usr/bin/env bash
# The main job on the embedded default: installs Deno and Helm (scripts/setup.sh --core), installs this
# checkout as a Helm plugin into a Helm home of its own (your Helm set-up is not touched), and runs
# `helm fastcs ARGS` on this repository's charts. Without arguments: `helm fastcs schema`.
#
#   scripts/run.sh                      regenerate charts/*/values.schema.json and schemas/
#   scripts/run.sh schema --check       verify them (what pre-commit and CI run)
#   HELM=helm3 scripts/run.sh ...       use Helm 3.17.3 instead of Helm 4.1.4
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$repo/scripts/setup.sh" --core)
export PATH="$bin:$PATH"
helm_name=${HELM:-helm4}
home="$(dirname "$bin")/helm-home/$helm_name"
export HELM_DATA_HOME="$home/data" HELM_CONFIG_HOME="$home/config" HELM_CACHE_HOME="$home/cache"
export HELM_FASTCS_DENO="$bin/deno" HELM_FASTCS_DENO_DIR="$home/deno"

# Reinstall each time so the plugin always runs this checkout's sources. This Helm home is ours alone:
# empty its plugins folder, since Helm names a local plugin's folder after the checkout, and another
# checkout's entry would claim the same plugin name.
rm -rf "$HELM_DATA_HOME/plugins"
"$helm_name" plugin install "$repo" >&2
cd "$repo"
if [ $# -eq 0 ]; then set -- schema; fi
exec "$helm_name" fastcs "$@"
