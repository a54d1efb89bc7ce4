#!/usr/bin/env bash
# Installs the S3 server of the S3 chart repository tests, idempotently: versitygw (a real S3 gateway with
# a POSIX backend, ../shared/ENVIRONMENT.md), built from its Go module (pinned) into the tool cache and
# linked as `versitygw` in the tool folder. Prints that folder. Used by scripts/test.sh.
#
#   scripts/setup-s3.sh           build what is missing, print the tool folder
#   scripts/setup-s3.sh --print   print the tool folder only
#
# Safe when several runs start at once (scripts/setup-common.sh: a lock, atomic renames). Needs Go and the
# Go module proxy; first build: a few minutes on 2 cores.
set -euo pipefail

VERSITYGW_VERSION=1.8.0

tools_script=setup-s3
# shellcheck source=scripts/setup-common.sh
. "$(dirname "$0")/setup-common.sh"
if [ "${1:-}" = "--print" ]; then echo "$tools_bin"; exit 0; fi
tools_lock setup

dir="$tools_root/versitygw-$VERSITYGW_VERSION"
if [ ! -x "$dir/versitygw" ]; then
  say "building versitygw $VERSITYGW_VERSION (a few minutes the first time)"
  tools_go_install "$dir" "-s -w" "github.com/versity/versitygw/cmd/versitygw@v$VERSITYGW_VERSION"
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
tools_link "$dir/versitygw" versitygw
say "versitygw $VERSITYGW_VERSION ready in $tools_bin"
echo "$tools_bin"
