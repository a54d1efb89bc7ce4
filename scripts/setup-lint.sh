#!/usr/bin/env bash
# Installs the linter of the GitHub workflows, idempotently: actionlint, built from its Go module
# (pinned), into the tool cache; it runs ShellCheck (a Debian package that scripts/setup.sh installs)
# on the workflows' scripts. Prints actionlint's folder. Used by scripts/test.sh.
#
#   scripts/setup-lint.sh           install what is missing, print the folder
#   scripts/setup-lint.sh --print   print the folder only
set -euo pipefail

ACTIONLINT_VERSION=1.7.12

root="${HELM_FASTCS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools}"
bin="$root/actionlint-$ACTIONLINT_VERSION"
if [ "${1:-}" = "--print" ]; then echo "$bin"; exit 0; fi

say() { printf 'setup-lint: %s\n' "$*" >&2; }
die() { printf 'setup-lint: error: %s\n' "$*" >&2; exit 1; }

command -v shellcheck >/dev/null || die "shellcheck is missing: scripts/setup.sh installs it (Debian: apt-get install shellcheck)"

if [ ! -x "$bin/actionlint" ]; then
  command -v go >/dev/null || die "Go is required to build actionlint (https://go.dev/dl, or the machine's Go toolchain)"
  say "building actionlint $ACTIONLINT_VERSION"
  mkdir -p "$bin"
  GOBIN="$bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" || die "building actionlint failed (see the go output above)"
fi
[ "$("$bin/actionlint" -version | sed -n 1p)" = "$ACTIONLINT_VERSION" ] || die "$bin/actionlint is not version $ACTIONLINT_VERSION"
echo "$bin"
