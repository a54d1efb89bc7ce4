// install-binary.ps1, the Windows installer for machines without a `sh`. No PowerShell can be installed
// on our machines, so it is NOT run here: these tests check its syntax with a PowerShell grammar
// (tests/support/powershell.ts) and that it asks for the assets, reads the variables and writes the
// executable that the rest of the project names. Its behaviour is install-binary.sh's binary mode,
// which install_binary_test.ts runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { archiveName, TARGETS } from "../../scripts/compile.ts";
import { REPO } from "../helpers.ts";
import { powershellSyntaxErrors } from "../support/powershell.ts";

const ps1 = await Deno.readTextFile(join(REPO, "install-binary.ps1"));

Deno.test("install-binary.ps1 parses as PowerShell; the check finds a broken copy's error and its line", async () => {
  assert.deepEqual(await powershellSyntaxErrors(ps1), []);
  const lines = ps1.split("\n");
  const at = lines.findIndex((l) => l.startsWith("function Get-Arch {"));
  lines[at] = "function Get-Arch";
  const errors = await powershellSyntaxErrors(lines.join("\n"));
  assert.ok(errors.length > 0);
  assert.equal(errors[0].line, at + 1);
});

Deno.test("install-binary.ps1 fetches the Windows archive compile.ts builds, into the path plugin.yaml runs", () => {
  const windows = TARGETS.filter((t) => t.os === "windows").map(archiveName);
  assert.deepEqual(windows, ["helm-fastcs-windows-amd64.zip"]);
  assert.match(ps1, /\$asset = "helm-fastcs-windows-\$arch\.zip"/);
  assert.match(ps1, /'AMD64' \{ return 'amd64' \}/);

  const manifest = parse(Deno.readTextFileSync(join(REPO, "plugin.yaml")));
  const command: string = manifest.platformCommand.find((c: { os: string }) => c.os === "windows").command;
  assert.equal(command, "$HELM_PLUGIN_DIR\\bin\\helm-fastcs.exe");
  assert.match(ps1, /\$BinDir = Join-Path \$PluginDir 'bin'\n\$Exe = Join-Path \$BinDir 'helm-fastcs\.exe'/);
  assert.match(ps1, /\$PluginDir = \$env:HELM_PLUGIN_DIR/);
});

Deno.test("install-binary.ps1 reads the same variables as install-binary.sh's binary mode", async () => {
  const sh = await Deno.readTextFile(join(REPO, "install-binary.sh"));
  const sourceModeOnly = new Set(["HELM_FASTCS_DENO", "HELM_FASTCS_DENO_DIR", "HELM_FASTCS_INSTALL"]);
  const shVars = new Set(
    [...sh.matchAll(/\$\{?(HELM_[A-Z0-9_]+)/g)].map((m) => m[1]).filter((v) => !sourceModeOnly.has(v)),
  );
  const ps1Vars = new Set([...ps1.matchAll(/\$env:(HELM_[A-Z0-9_]+)/g)].map((m) => m[1]));
  assert.deepEqual([...ps1Vars].sort(), [...shVars].sort());
  // Both carry the line that scripts/package-plugin.sh stamps with the release URL.
  assert.match(sh, /^DEFAULT_RELEASE_URL=""$/m);
  assert.match(ps1, /^\$DefaultReleaseUrl = ""$/m);
});
