#!/usr/bin/env bash
# Installs the S3 server of the S3 chart repository tests, idempotently: versitygw (a real S3 gateway with
# a POSIX backend, ../shared/ENVIRONMENT.md), built from its Go module (pinned) into the tool cache and
# linked as `versitygw` in the tool folder. Prints that folder. Used by scripts/test.sh.
#
#   scripts/setup-s3.sh           build what is missing, print the tool folder
#   scripts/setup-s3.sh --print   print the tool folder only
#
# The cache is shared by runs that may start at the same time: each build goes to a temporary folder of its
# own and is renamed into place (a rename is atomic), so no run ever sees a half-written binary; two runs
# that both build waste one build, nothing more. Needs Go and the Go module proxy; first build: a few
# minutes on 2 cores.
set -euo pipefail

VERSITYGW_VERSION=1.8.0

root="${HELM_FASTCS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools}"
bin="$root/bin"
if [ "${1:-}" = "--print" ]; then echo "$bin"; exit 0; fi

say() { printf 'setup-s3: %s\n' "$*" >&2; }
die() { printf 'setup-s3: error: %s\n' "$*" >&2; exit 1; }

dir="$root/versitygw-$VERSITYGW_VERSION"
mkdir -p "$bin"
if [ ! -x "$dir/versitygw" ]; then
  command -v go >/dev/null || die "Go is required to build versitygw (https://go.dev/dl, or the machine's Go toolchain)"
  say "building versitygw $VERSITYGW_VERSION (a few minutes the first time)"
  tmp=$(mktemp -d "$root/.versitygw.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp/bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@v$VERSITYGW_VERSION" ||
    die "building versitygw failed (see the go output above)"
  mkdir -p "$tmp/out"
  mv "$tmp/bin/versitygw" "$tmp/out/versitygw"
  # Another run may have finished first: its folder is as good as ours.
  mv -T "$tmp/out" "$dir" 2>/dev/null || [ -x "$dir/versitygw" ] || die "could not move versitygw into $dir"
fi
# versitygw prints its build's version only when its release build stamps it: what proves the binary is
# the one pinned is Go's record of the module it was built from (read whole, then matched: see setup-kube.sh).
if command -v go >/dev/null; then
  built=$(go version -m "$dir/versitygw" 2>/dev/null || true)
  case "$built" in
    *"github.com/versity/versitygw"*"v$VERSITYGW_VERSION"*) ;;
    *) die "$dir/versitygw was not built from github.com/versity/versitygw v$VERSITYGW_VERSION (remove $dir and rerun)" ;;
  esac
fi
# The link is made beside and renamed over the old one, so a concurrent reader never finds it missing.
ln -sfn "$dir/versitygw" "$bin/.versitygw.$$" && mv -T "$bin/.versitygw.$$" "$bin/versitygw"
say "versitygw $VERSITYGW_VERSION ready in $bin"
echo "$bin"
