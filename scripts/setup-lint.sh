#!/usr/bin/env bash
# Installs the linter of the GitHub workflows, idempotently: actionlint, built from its Go module
# (pinned), into the tool cache; it runs ShellCheck (a Debian package that scripts/setup.sh installs)
# on the workflows' scripts. Prints actionlint's folder. Used by scripts/test.sh.
#
#   scripts/setup-lint.sh           install what is missing, print the folder
#   scripts/setup-lint.sh --print   print the folder only
#
# Safe when several runs start at once (scripts/setup-common.sh: a lock, atomic renames).
set -euo pipefail

ACTIONLINT_VERSION=1.7.12

tools_script=setup-lint
# shellcheck source=scripts/setup-common.sh
. "$(dirname "$0")/setup-common.sh"
dir="$tools_root/actionlint-$ACTIONLINT_VERSION"
if [ "${1:-}" = "--print" ]; then echo "$dir"; exit 0; fi

command -v shellcheck >/dev/null || die "shellcheck is missing: scripts/setup.sh installs it (Debian: apt-get install shellcheck)"
tools_lock setup
if [ ! -x "$dir/actionlint" ]; then
  say "building actionlint $ACTIONLINT_VERSION"
  tools_go_install "$dir" "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
fi
version=$("$dir/actionlint" -version) || die "$dir/actionlint does not run (remove $dir and rerun)"
[ "${version%%$'\n'*}" = "$ACTIONLINT_VERSION" ] || die "$dir/actionlint is not version $ACTIONLINT_VERSION (remove $dir and rerun)"
echo "$dir"
