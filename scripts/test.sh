#!/usr/bin/env bash
# The test command: installs the real tools (scripts/setup.sh, setup-kube.sh, setup-s3.sh, setup-lint.sh
# and setup-cosign.sh, all idempotent), then runs format, lint and type checks (also ShellCheck on the shell
# scripts and actionlint on the GitHub workflows) and every test (unit, CLI, real Helm 3 and 4, a real OCI
# registry, a real S3 server, the real cosign, a real Kubernetes API server with simulated nodes). Extra
# arguments go to `deno test` (e.g. scripts/test.sh tests/e2e/helm_test.ts). Ends with a plain "tests: N
# passed, N failed" line. `deno task test` runs this script, with the same arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/setup.sh)
scripts/setup-kube.sh >/dev/null   # the local Kubernetes control plane of the cluster tests
scripts/setup-s3.sh >/dev/null     # versitygw, the S3 server of the S3 chart repository tests
lint=$(scripts/setup-lint.sh)      # ShellCheck and actionlint
scripts/setup-cosign.sh >/dev/null  # cosign v2 (signing tests), linked into the tool folder
export PATH="$bin:$PATH" NO_COLOR=1 DENO_NO_UPDATE_CHECK=1

deno_version=$(deno --version)   # read whole: `| head` would end deno with SIGPIPE, fatal under pipefail
deno_version=${deno_version#deno }
echo "== deno ${deno_version%% *}, $(helm3 version --short), $(helm4 version --short)"
echo "== format, lint, type check"
deno fmt --check
deno lint
deno check src/main.ts scripts/*.ts tests/**/*.ts src/**/*_test.ts
shellcheck install-binary.sh scripts/*.sh .ci/run
"$lint/actionlint"   # .github/workflows/*.yml, with ShellCheck on their run: scripts

echo "== tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
deno test --allow-all --frozen "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
  echo "tests: no test summary found (deno test exited $status)" >&2
  exit 1
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
