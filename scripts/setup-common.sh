# shellcheck shell=bash
# Sourced (not run) by the set-up scripts (setup.sh, setup-kube.sh, setup-s3.sh, setup-lint.sh,
# setup-cosign.sh): the shared tool cache and how to write into it safely when several runs start at once
# (two CI jobs, a developer's test run beside a benchmark).
#
# The rules every set-up script follows through these functions:
# - writers take the cache's lock (`tools_lock`), so two runs never build, download or apt-get at once; the
#   second waits and then finds everything in place;
# - a file or link that a reader may run is never written in place: it is made beside under a name of this
#   process and renamed over the old one (a rename is atomic), so a test that runs `helm` while another run
#   sets up never finds it missing or half-written;
# - temporary folders are this process's own (mktemp) and removed on exit, however the script ends.
#
# Before sourcing, set `tools_script` to the script's name (used in messages). Defines `tools_root`
# ($HELM_FASTCS_TOOLS, else ${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools) and `tools_bin`.

tools_root="${HELM_FASTCS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/helm-fastcs/tools}"
tools_bin="$tools_root/bin"
tools_temps=()
trap 'tools_cleanup' EXIT

say() { printf '%s: %s\n' "${tools_script:-setup}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${tools_script:-setup}" "$*" >&2
  exit 1
}

# Removes this process's temporary folders (the EXIT trap).
tools_cleanup() {
  if [ ${#tools_temps[@]} -gt 0 ]; then rm -rf "${tools_temps[@]}"; fi
}

# tools_temp NAME: prints a new temporary folder inside the cache (same filesystem, so what is built there
# is renamed into place), removed when the script exits. Call it as `tmp=$(tools_temp x)` only after
# `tools_track "$tmp"`: a command substitution runs in a subshell, so it cannot record the folder itself.
tools_temp() {
  mkdir -p "$tools_root"
  mktemp -d "$tools_root/.$1.XXXXXX"
}

# tools_track DIR: removes DIR when the script exits.
tools_track() { tools_temps+=("$1"); }

# tools_lock NAME: holds the cache's lock NAME until the script exits (flock(1), util-linux); a second run
# waits here, saying so. Without flock (not Linux) the atomic renames still keep readers safe.
tools_lock() {
  mkdir -p "$tools_root"
  command -v flock >/dev/null || return 0
  exec {tools_lock_fd}>"$tools_root/.$1.lock"
  if ! flock -n "$tools_lock_fd"; then
    say "another set-up is writing the tool cache ($tools_root); waiting for it"
    flock "$tools_lock_fd" || die "could not lock $tools_root/.$1.lock"
  fi
}

# tools_link TARGET NAME: makes $tools_bin/NAME a link to TARGET, atomically.
tools_link() {
  mkdir -p "$tools_bin"
  local tmp="$tools_bin/.$2.$$"
  tools_track "$tmp"
  if ! { ln -sfn "$1" "$tmp" && mv -Tf "$tmp" "$tools_bin/$2"; }; then die "could not link $tools_bin/$2 to $1"; fi
}

# tools_place SRC DEST [MODE]: copies SRC to DEST (mode 755 unless MODE), atomically.
tools_place() {
  local tmp
  tmp="$(dirname "$2")/.$(basename "$2").$$"
  tools_track "$tmp"
  mkdir -p "$(dirname "$2")"
  if ! { cp "$1" "$tmp" && chmod "${3:-755}" "$tmp" && mv -f "$tmp" "$2"; }; then die "could not write $2"; fi
}

# tools_go_install DEST LDFLAGS MODULE/CMD@VERSION...: builds Go commands from the module proxy (pinned
# versions, static, trimmed paths) into a GOBIN of this process, then renames each into DEST.
tools_go_install() {
  local dest=$1 ldflags=$2 tmp f
  shift 2
  command -v go >/dev/null || die "Go is required to build $* (https://go.dev/dl, or the machine's Go toolchain)"
  tmp=$(tools_temp go) || die "could not make a temporary folder in $tools_root"
  tools_track "$tmp"
  GOBIN="$tmp" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
    go install -trimpath -ldflags "$ldflags" "$@" || die "building $* failed (see the go output above)"
  mkdir -p "$dest"
  for f in "$tmp"/*; do mv -f "$f" "$dest/" || die "could not move $(basename "$f") into $dest"; done
}
