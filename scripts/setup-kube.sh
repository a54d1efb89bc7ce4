#!/usr/bin/env bash
# Builds the pieces of a real local Kubernetes control plane for tests into a cache outside the repo
# (idempotent: a second run only checks the files): etcd, kube-apiserver, kube-controller-manager and
# kube-scheduler from their Go modules, and kwok (simulated nodes and pods, with exec and port-forward).
# No container engine runs on our machines, so this is what can run for real (../shared/ENVIRONMENT.md).
#
#   scripts/setup-kube.sh           build what is missing, print the bin folder
#   scripts/setup-kube.sh --print   print the bin folder only
#
# Safe when several runs start at once (scripts/setup-common.sh: a lock, atomic renames). Needs Go (1.26
# here) and the Go module proxy. First build: several minutes on 2 cores.
set -euo pipefail

KUBE_VERSION=1.34.4       # k8s.io/kubernetes v1.34.4; staging modules v0.34.4
ETCD_VERSION=3.6.16
KWOK_VERSION=0.8.0

tools_script=setup-kube
# shellcheck source=scripts/setup-common.sh
. "$(dirname "$0")/setup-common.sh"
bin="$tools_root/kube-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin"
if [ "${1:-}" = "--print" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || die "Go is required (https://go.dev/dl, or the machine's Go toolchain)"
tools_lock setup
mkdir -p "$bin"
# The wrapper modules are written in a folder of this process (removed on exit); binaries are built
# beside their final name under a name of this process and renamed into place.
work=$(tools_temp kubebuild) || die "could not make a temporary folder in $tools_root"
tools_track "$work"
mkdir -p "$work/out"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
ldflags="-s -w"

build_kube() {
  local missing=0
  for c in kube-apiserver kube-controller-manager kube-scheduler; do [ -x "$bin/$c" ] || missing=1; done
  [ $missing = 1 ] || return 0
  say "building Kubernetes v$KUBE_VERSION control plane (kube-apiserver, kube-controller-manager, kube-scheduler)"
  local dir="$work/kube"
  mkdir -p "$dir"
  local minor=${KUBE_VERSION#*.}
  minor=${minor%%.*}
  # k8s.io/kubernetes replaces its staging modules by local paths, which `go install` refuses; a
  # wrapper module that requires it and pins every staging module to the matching v0.x release builds.
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v$KUBE_VERSION"
  {
    echo "module fastcs.local/kubebuild"
    echo "go 1.24"
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 v0.'"${KUBE_VERSION#*.}"'#p' "$gomod"
  } >"$dir/go.mod"
  cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  (cd "$dir" && { go mod tidy -e >/dev/null 2>&1 || true; })
  # Stamp the version as the release build does; without it the server reports v0.0.0-master, which
  # clients that compare versions (Helm's kubeVersion checks) cannot parse.
  local stamp="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=${KUBE_VERSION%%.*} -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    if [ ! -x "$bin/$c" ]; then
      say "  go build $c"
      { (cd "$dir" && go build -trimpath -ldflags "$ldflags$stamp" -o "$work/out/$c" "k8s.io/kubernetes/cmd/$c") && mv -f "$work/out/$c" "$bin/$c"; } ||
        die "building $c failed (see the go output above)"
    fi
  done
}

build_etcd() {
  [ -x "$bin/etcd" ] && return 0
  say "building etcd v$ETCD_VERSION"
  local dir="$work/etcd"
  mkdir -p "$dir"
  # Same reason as above: etcd's server module replaces its sibling modules by local paths.
  cat >"$dir/go.mod" <<MOD
module fastcs.local/etcdbuild
go 1.26
require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
MOD
  cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  (cd "$dir" && { go mod tidy -e >/dev/null 2>&1 || true; })
  { (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$work/out/etcd" go.etcd.io/etcd/server/v3) && mv -f "$work/out/etcd" "$bin/etcd"; } ||
    die "building etcd failed (see the go output above)"
}

build_kwok() {
  [ -x "$bin/kwok" ] && [ -x "$bin/kwokctl" ] && return 0
  say "building kwok and kwokctl v$KWOK_VERSION"
  tools_go_install "$bin" "$ldflags" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@v$KWOK_VERSION"
}

build_etcd
build_kwok
build_kube
# Versions are read whole, then matched: a reader that stops early (grep -q, head) would end the writer with
# SIGPIPE, which pipefail turns into a failure of this script.
apiserver_version=$("$bin/kube-apiserver" --version)
case "$apiserver_version" in
  *"v$KUBE_VERSION"*) ;;
  *) die "kube-apiserver does not report v$KUBE_VERSION (remove $bin and rebuild)" ;;
esac
echo "$apiserver_version" >&2
etcd_version=$("$bin/etcd" --version)
echo "${etcd_version%%$'\n'*}" >&2
say "control plane binaries ready in $bin"
echo "$bin"
