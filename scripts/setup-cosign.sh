#!/usr/bin/env bash
# Installs the real cosign (Sigstore) that the signing tests drive, idempotently: built from its Go
# module (pinned) into the tool cache, as $root/cosign-VERSION/cosign, with a link $root/bin/cosign next
# to deno and helm (scripts/setup.sh's folder). Prints the bin folder. Used by scripts/test.sh.
#
#   scripts/setup-cosign.sh           build cosign if missing, print the bin folder
#   scripts/setup-cosign.sh --print   print the bin folder only
#
# The tool cache is shared by parallel runs: the build goes to a temporary GOBIN of this process and is
# then renamed into place (a rename is atomic: a reader sees no half-written file; when two runs build at
# once, the last rename wins, and both built the same pinned version). Needs Go and the Go module proxy
# (../shared/ENVIRONMENT.md); the first build takes minutes.
set -euo pipefail

COSIGN_VERSION=2.6.5

root="${HELM_FASTCS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools}"
bin="$root/bin"
if [ "${1:-}" = "--print" ]; then echo "$bin"; exit 0; fi

say() { printf 'setup-cosign: %s\n' "$*" >&2; }
die() { printf 'setup-cosign: error: %s\n' "$*" >&2; exit 1; }

dir="$root/cosign-$COSIGN_VERSION"
mkdir -p "$dir" "$bin"
if [ ! -x "$dir/cosign" ]; then
  command -v go >/dev/null || die "Go is required to build cosign (https://go.dev/dl, or the machine's Go toolchain)"
  say "building cosign v$COSIGN_VERSION (github.com/sigstore/cosign/v2, several minutes the first time)"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # The version is stamped as the release build does (sigs.k8s.io/release-utils reads it).
  GOBIN="$tmp" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v$COSIGN_VERSION" \
    "github.com/sigstore/cosign/v2/cmd/cosign@v$COSIGN_VERSION" || die "building cosign failed (see the go output above)"
  mv -f "$tmp/cosign" "$dir/cosign"
fi
version=$("$dir/cosign" version 2>&1) || die "$dir/cosign does not run (remove it and run this script again)"
[[ $version == *"v$COSIGN_VERSION"* ]] || die "$dir/cosign is not v$COSIGN_VERSION (remove it and run this script again)"
# The link is made under a temporary name and renamed over the old one, so a concurrent reader never
# finds $bin/cosign missing.
link=$(mktemp -u "$bin/.cosign.XXXXXX")
ln -s "$dir/cosign" "$link"
mv -Tf "$link" "$bin/cosign"
echo "$bin"
