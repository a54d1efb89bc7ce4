#!/usr/bin/env bash
# Installs the real cosign (Sigstore) that the signing tests drive, idempotently: built from its Go
# module (pinned) into the tool cache, as $root/cosign-VERSION/cosign, with a link $root/bin/cosign next
# to deno and helm (scripts/setup.sh's folder). Prints the bin folder. Used by scripts/test.sh.
#
#   scripts/setup-cosign.sh           build cosign if missing, print the bin folder
#   scripts/setup-cosign.sh --print   print the bin folder only
#
# Safe when several runs start at once (scripts/setup-common.sh: a lock, atomic renames). Needs Go and the
# Go module proxy (../shared/ENVIRONMENT.md); the first build takes minutes.
set -euo pipefail

COSIGN_VERSION=2.6.5

tools_script=setup-cosign
# shellcheck source=scripts/setup-common.sh
. "$(dirname "$0")/setup-common.sh"
if [ "${1:-}" = "--print" ]; then echo "$tools_bin"; exit 0; fi
tools_lock setup

dir="$tools_root/cosign-$COSIGN_VERSION"
if [ ! -x "$dir/cosign" ]; then
  say "building cosign v$COSIGN_VERSION (github.com/sigstore/cosign/v2, several minutes the first time)"
  # The version is stamped as the release build does (sigs.k8s.io/release-utils reads it).
  tools_go_install "$dir" "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v$COSIGN_VERSION" \
    "github.com/sigstore/cosign/v2/cmd/cosign@v$COSIGN_VERSION"
fi
version=$("$dir/cosign" version 2>&1) || die "$dir/cosign does not run (remove it and run this script again)"
[[ $version == *"v$COSIGN_VERSION"* ]] || die "$dir/cosign is not v$COSIGN_VERSION (remove it and run this script again)"
tools_link "$dir/cosign" cosign
echo "$tools_bin"
