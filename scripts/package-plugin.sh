#!/usr/bin/env bash
# Builds the signed plugin packages of a release (each with its .prov, for a verified `helm plugin install`):
#
#   dist/fastcs-<version>.tgz                all platforms, legacy plugin.yaml (Helm 3 and 4): its install
#                                            hook downloads the binary (install-binary.sh, .ps1 on Windows),
#                                            which the signature does not cover
#   dist/fastcs-<version>-<os>-<arch>.tgz    one per release archive of ARCHIVES (scripts/compile.ts output,
#                                            verified against its SHA256SUMS): helm4/plugin.yaml (apiVersion
#                                            v1) and the binary itself, so the signature covers everything
#                                            Helm runs (Helm 4 only: Helm 3 rejects that manifest)
#
# Every package has the top folder "fastcs" (Helm requires it), completion.yaml and plugin.complete.
#
#   [RELEASE_URL=https://…/releases/download] [ARCHIVES=dist] \
#     scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]
#
# KEY-NAME is the signing key's user id (or part of it), SECRET-KEYRING a file of exported secret keys
# (`gpg --export-secret-keys`), without passphrase. Needs Helm 4 (helm plugin package) as `helm4` or
# `helm` on PATH, and gpg.
#
# Helm names what it packages <name>-<version>.tgz and its .prov lists the SHA-256 under that file name,
# which `helm plugin install` checks against the name it downloaded, while `helm plugin list` checks the
# copy Helm keeps as <name>-<version>.tgz. So a per-platform package is packed and signed by Helm, then its
# provenance (the same plugin metadata, the SHA-256 under both names) is signed again by gpg with the same
# key, in the same OpenPGP clear-signed format.
set -euo pipefail
key=${1:?usage: scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]}
keyring=${2:?usage: scripts/package-plugin.sh KEY-NAME SECRET-KEYRING [OUT-DIR]}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${3:-$repo/dist}" && cd "${3:-$repo/dist}" && pwd)
die() { echo "package-plugin: $*" >&2; exit 1; }
helm=$(command -v helm4 || command -v helm) || die "Helm 4 is needed"
[[ $("$helm" version --template '{{.Version}}') == v4* ]] || die "$helm is not Helm 4"
version=$(sed -n 's/^version:[[:space:]]*//p' "$repo/plugin.yaml" | head -n 1)
v1_version=$(sed -n 's/^version:[[:space:]]*//p' "$repo/helm4/plugin.yaml" | head -n 1)
[[ $version == "$v1_version" ]] || die "plugin.yaml has version $version, helm4/plugin.yaml $v1_version"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

common() { cp "$repo/completion.yaml" "$repo/plugin.complete" "$repo/README.md" "$1/"; }

# The all-platform package.
mkdir -p "$stage/all/fastcs"
cp "$repo/plugin.yaml" "$repo/install-binary.sh" "$repo/install-binary.ps1" "$stage/all/fastcs/"
common "$stage/all/fastcs"
# The releases' address is only known where the release is made (e.g. https://github.com/OWNER/REPO/
# releases/download in the release workflow): RELEASE_URL stamps it into the packaged install scripts.
if [ -n "${RELEASE_URL:-}" ]; then
  sed "s#^DEFAULT_RELEASE_URL=\"\"#DEFAULT_RELEASE_URL=\"$RELEASE_URL\"#" "$repo/install-binary.sh" >"$stage/all/fastcs/install-binary.sh"
  sed "s#^[\$]DefaultReleaseUrl = \"\"#\$DefaultReleaseUrl = \"$RELEASE_URL\"#" "$repo/install-binary.ps1" >"$stage/all/fastcs/install-binary.ps1"
  if ! grep -q "^DEFAULT_RELEASE_URL=\"$RELEASE_URL\"" "$stage/all/fastcs/install-binary.sh" ||
    ! grep -qF "\$DefaultReleaseUrl = \"$RELEASE_URL\"" "$stage/all/fastcs/install-binary.ps1"; then
    die "could not set the release URL in the install scripts"
  fi
fi
"$helm" plugin package "$stage/all/fastcs" --sign --key "$key" --keyring "$keyring" --destination "$out" >&2

# The per-platform packages.
if [ -n "${ARCHIVES:-}" ]; then
  archives=$(cd "$ARCHIVES" && pwd) || die "ARCHIVES=$ARCHIVES is not a folder"
  [ -f "$archives/SHA256SUMS" ] || die "$archives holds no SHA256SUMS (scripts/compile.ts writes it)"
  export GNUPGHOME="$stage/gnupg"
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --import "$keyring" 2>/dev/null || die "gpg could not import the keys of $keyring"
  packaged=0
  while read -r sum name; do
    name=${name#\*}
    [[ $name =~ ^helm-fastcs-([a-z0-9]+)-([a-z0-9]+)\.(tar\.gz|zip)$ ]] || continue
    platform="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"
    [ "$(sha256sum "$archives/$name" | cut -d' ' -f1)" = "$sum" ] ||
      die "$archives/$name does not match its SHA256SUMS line (a corrupted or changed archive)"
    dir="$stage/$platform/fastcs"
    mkdir -p "$dir" "$stage/$platform/signed"
    case $name in
      *.zip) unzip -q "$archives/$name" -d "$dir" ;;
      *) tar -xzf "$archives/$name" -C "$dir" ;;
    esac
    [ -f "$dir/bin/helm-fastcs" ] || [ -f "$dir/bin/helm-fastcs.exe" ] || die "$name holds no bin/helm-fastcs"
    cp "$repo/helm4/plugin.yaml" "$dir/plugin.yaml"
    common "$dir"
    "$helm" plugin package "$dir" --sign --key "$key" --keyring "$keyring" --destination "$stage/$platform/signed" >&2
    target="fastcs-$version-$platform.tgz"
    mv "$stage/$platform/signed/fastcs-$version.tgz" "$out/$target"
    # Helm's signed text, the file renamed, signed again with the same key.
    gpg --batch --quiet --decrypt "$stage/$platform/signed/fastcs-$version.tgz.prov" 2>/dev/null >"$stage/$platform/message" ||
      die "could not read back the provenance Helm wrote for $platform"
    grep -q "^  fastcs-$version\.tgz: sha256:$(sha256sum "$out/$target" | cut -d' ' -f1)$" "$stage/$platform/message" ||
      die "the provenance Helm wrote for $platform does not name the package's SHA-256"
    sed "s/^\(  fastcs-$version\.tgz: \)\(sha256:.*\)$/  $target: \2\n\1\2/" "$stage/$platform/message" |
      gpg --batch --quiet --yes --local-user "$key" --digest-algo SHA512 --clearsign --output "$out/$target.prov" ||
      die "gpg could not sign the provenance of $target with $key"
    echo "package-plugin: $out/$target (+ .prov)" >&2
    packaged=$((packaged + 1))
  done <"$archives/SHA256SUMS"
  [ "$packaged" -gt 0 ] || die "$archives/SHA256SUMS names no helm-fastcs-<os>-<arch> archive"
fi
ls "$out"/fastcs-*.tgz
