# Windows installer of the helm-fastcs plugin's binary, for machines without a `sh` (Helm runs a legacy
# plugin's install hook with `sh -c`, which Git for Windows provides; without it the hook fails and Helm
# keeps the plugin folder). Run it in that folder after `helm plugin install`:
#
#   powershell -NoProfile -ExecutionPolicy Bypass -File "$(helm env HELM_PLUGINS)\fastcs\install-binary.ps1"
#
# It does what install-binary.sh does in binary mode: downloads helm-fastcs-windows-<arch>.zip for the
# version in plugin.yaml from <release URL>/v<version>/, verifies its sha256 against the release's
# SHA256SUMS (the line for that exact file name), unpacks bin\helm-fastcs.exe (the command plugin.yaml
# names for windows) and runs it once. On any failure it removes what it wrote and exits 1.
#
# Variables (the same as install-binary.sh's):
#   HELM_PLUGIN_DIR           the plugin folder (default: this script's folder)
#   HELM_FASTCS_RELEASE_URL   base URL of the releases; the files are read from <url>/v<version>/
#   HELM_FASTCS_ARCHIVE       a local release archive to install instead of downloading (air-gapped)
#   HELM_FASTCS_SHA256SUMS    with HELM_FASTCS_ARCHIVE: a local SHA256SUMS to verify it against
# Downloads use the system proxy settings (PowerShell 7 also honours HTTPS_PROXY and NO_PROXY).
#
# Written for Windows PowerShell 5.1 and PowerShell 7. Our test machines have no PowerShell: the tests
# check this file's syntax and that it names the same assets, variables and paths as install-binary.sh.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The project's release downloads; set when the first release is published.
$DefaultReleaseUrl = ""

function Say([string]$Message) {
  [Console]::Error.WriteLine("helm-fastcs install: $Message")
}

$PluginDir = $env:HELM_PLUGIN_DIR
if (-not $PluginDir) { $PluginDir = $PSScriptRoot }
$BinDir = Join-Path $PluginDir 'bin'
$Exe = Join-Path $BinDir 'helm-fastcs.exe'
$Tmp = Join-Path ([IO.Path]::GetTempPath()) ("helm-fastcs-" + [Guid]::NewGuid().ToString('N'))

function Get-PluginVersion {
  $manifest = Join-Path $PluginDir 'plugin.yaml'
  $line = Get-Content -LiteralPath $manifest | Where-Object { $_ -match '^version:\s*' } | Select-Object -First 1
  if (-not $line) { throw "no version in $manifest" }
  return ($line -replace '^version:\s*', '').Trim().Trim('"', "'")
}

# Go's architecture names, as the release archives use them. Only windows-amd64 is built; Windows on
# ARM64 runs it under its x64 emulation.
function Get-Arch {
  $arch = $env:PROCESSOR_ARCHITEW6432
  if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }
  switch ($arch) {
    'AMD64' { return 'amd64' }
    'ARM64' { Say 'Windows on ARM64: installing the amd64 build (runs under x64 emulation)'; return 'amd64' }
    default { throw "no release build for the architecture $arch on windows" }
  }
}

function Get-Download([string]$Url, [string]$OutFile) {
  # TLS 1.2 for Windows PowerShell 5.1, whose default may be older.
  [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
  $ProgressPreference = 'SilentlyContinue'
  Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $OutFile
}

function Install-Binary {
  $version = Get-PluginVersion
  $arch = Get-Arch
  $asset = "helm-fastcs-windows-$arch.zip"
  New-Item -ItemType Directory -Path $Tmp -Force | Out-Null
  if ($env:HELM_FASTCS_ARCHIVE) {
    if (-not (Test-Path -LiteralPath $env:HELM_FASTCS_ARCHIVE -PathType Leaf)) {
      throw "HELM_FASTCS_ARCHIVE=$($env:HELM_FASTCS_ARCHIVE) is not a file"
    }
    $archive = $env:HELM_FASTCS_ARCHIVE
    $asset = Split-Path -Leaf $archive
    $sums = $env:HELM_FASTCS_SHA256SUMS
    Say "installing from the local archive $archive"
  } else {
    $base = $env:HELM_FASTCS_RELEASE_URL
    if (-not $base) { $base = $DefaultReleaseUrl }
    if (-not $base) { throw 'no release URL is known for binary downloads: set HELM_FASTCS_RELEASE_URL' }
    $url = $base.TrimEnd('/') + "/v$version"
    $archive = Join-Path $Tmp $asset
    $sums = Join-Path $Tmp 'SHA256SUMS'
    Say "downloading $url/$asset"
    try { Get-Download "$url/$asset" $archive } catch {
      throw "could not download $url/$asset (is there a release v$version for windows/$arch?): $($_.Exception.Message)"
    }
    try { Get-Download "$url/SHA256SUMS" $sums } catch {
      throw "could not download $url/SHA256SUMS: $($_.Exception.Message)"
    }
  }
  if ($sums) {
    $expected = $null
    foreach ($line in Get-Content -LiteralPath $sums) {
      $fields = $line.Trim() -split '\s+', 2
      if ($fields.Count -eq 2 -and ($fields[1] -eq $asset -or $fields[1] -eq "*$asset")) { $expected = $fields[0].ToLowerInvariant() }
    }
    if (-not $expected) { throw "SHA256SUMS has no line for $asset" }
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $archive).Hash.ToLowerInvariant()
    if ($expected -ne $actual) {
      throw "checksum mismatch for ${asset}: expected $expected, got $actual (a corrupted or tampered download)"
    }
  }
  $unpacked = Join-Path $Tmp 'unpacked'
  try { Expand-Archive -LiteralPath $archive -DestinationPath $unpacked -Force } catch {
    throw "$asset is not a valid zip archive: $($_.Exception.Message)"
  }
  $found = Get-ChildItem -LiteralPath $unpacked -Recurse -File -Filter 'helm-fastcs.exe' | Select-Object -First 1
  if (-not $found) { throw "$asset holds no helm-fastcs.exe" }
  New-Item -ItemType Directory -Path $BinDir -Force | Out-Null
  Copy-Item -LiteralPath $found.FullName -Destination "$Exe.tmp" -Force
  Move-Item -LiteralPath "$Exe.tmp" -Destination $Exe -Force
  # A native command's stderr must not become a terminating error here (Windows PowerShell 5.1 would).
  $ErrorActionPreference = 'Continue'
  $out = (& $Exe --version 2>&1 | Out-String).Trim()
  $code = $LASTEXITCODE
  $ErrorActionPreference = 'Stop'
  if ($code -ne 0) { throw "the installed command does not run: $out" }
  Say "installed helm-fastcs $out"
}

try {
  Install-Binary
  exit 0
} catch {
  Say $_.Exception.Message
  Remove-Item -LiteralPath $Exe, "$Exe.tmp" -Force -ErrorAction SilentlyContinue
  exit 1
} finally {
  Remove-Item -LiteralPath $Tmp -Recurse -Force -ErrorAction SilentlyContinue
}
