#!/usr/bin/env bash
# Builds the Helm 4 plugin tarball of a release, signed: dist/fastcs-<version>.tgz (top folder "fastcs",
# as Helm requires) and its .prov, for `helm plugin install <tarball URL>`, which verifies it.
# The tarball holds plugin.yaml, install-binary.sh, install-binary.ps1 and the README: its install hook
# downloads the release binary for the platform (binary mode of install-binary.sh; install-binary.ps1
# on Windows without a `sh`).
#
#   [RELEASE_URL=https://…/releases/download] scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]
#
# Needs Helm 4 (helm plugin package) as `helm4` or `helm` on PATH.
set -euo pipefail
key=${1:?usage: scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]}
keyring=${2:?usage: scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${3:-$repo/dist}" && cd "${3:-$repo/dist}" && pwd)
helm=$(command -v helm4 || command -v helm) || { echo "package-plugin: Helm 4 is needed" >&2; exit 1; }
[[ $("$helm" version --template '{{.Version}}') == v4* ]] || { echo "package-plugin: $helm is not Helm 4" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/fastcs"
cp "$repo/plugin.yaml" "$repo/install-binary.sh" "$repo/install-binary.ps1" "$repo/README.md" "$stage/fastcs/"
# The releases' address is only known where the release is made (e.g. https://github.com/OWNER/REPO/
# releases/download in the release workflow): RELEASE_URL stamps it into the packaged install scripts.
if [ -n "${RELEASE_URL:-}" ]; then
  sed "s#^DEFAULT_RELEASE_URL=\"\"#DEFAULT_RELEASE_URL=\"$RELEASE_URL\"#" "$repo/install-binary.sh" >"$stage/fastcs/install-binary.sh"
  sed "s#^[\$]DefaultReleaseUrl = \"\"#\$DefaultReleaseUrl = \"$RELEASE_URL\"#" "$repo/install-binary.ps1" >"$stage/fastcs/install-binary.ps1"
  if ! grep -q "^DEFAULT_RELEASE_URL=\"$RELEASE_URL\"" "$stage/fastcs/install-binary.sh" ||
    ! grep -qF "\$DefaultReleaseUrl = \"$RELEASE_URL\"" "$stage/fastcs/install-binary.ps1"; then
    echo "package-plugin: could not set the release URL in the install scripts" >&2
    exit 1
  fi
fi
"$helm" plugin package "$stage/fastcs" --sign --key "$key" --keyring "$keyring" --destination "$out" >&2
ls "$out"/fastcs-*.tgz
