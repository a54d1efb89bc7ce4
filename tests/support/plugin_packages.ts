// Plugin packages for the tests of scripts/package-plugin.sh and scripts/push_plugin.ts: release archives
// with a STAND-IN binary (a shell script printing its version and answering `__complete`: `deno compile`
// needs Deno's runtime download, which this machine cannot reach), and the packaging script run on them.
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, run, type RunResult, toolsBin } from "../helpers.ts";
import { tempDir } from "./files.ts";
import type { SigningKey } from "./signing.ts";

/** The plugin version of plugin.yaml. */
export const PLUGIN_VERSION = /^version: (.+)$/m.exec(await Deno.readTextFile(join(REPO, "plugin.yaml")))![1];

/** Hex SHA-256 of a file. */
export async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Release archives as scripts/compile.ts packs them (tar.gz, zip for windows), each with a STAND-IN
 * binary printing "<version> (stand-in for <os>-<arch>)", and their SHA256SUMS, in `dir`. */
export async function standInArchives(dir: string, platforms: string[]): Promise<void> {
  const version = PLUGIN_VERSION;
  const sums: string[] = [];
  for (const p of platforms) {
    const windows = p.startsWith("windows-");
    const exe = windows ? "bin/helm-fastcs.exe" : "bin/helm-fastcs";
    await using stage = await tempDir();
    await Deno.mkdir(join(stage.path, "bin"));
    await Deno.writeTextFile(
      join(stage.path, exe),
      `#!/bin/sh\n[ "$1" = __complete ] && { echo "stand-in-value"; echo ":4"; exit 0; }\necho "${version} (stand-in for ${p})"\n`,
    );
    await Deno.chmod(join(stage.path, exe), 0o755);
    const name = `helm-fastcs-${p}.${windows ? "zip" : "tar.gz"}`;
    const packed = windows
      ? await run("zip", ["-q", "-r", join(dir, name), "bin"], { cwd: stage.path })
      : await run("tar", ["-czf", join(dir, name), "-C", stage.path, "bin"]);
    assert.equal(packed.code, 0, packed.stderr);
    sums.push(`${await sha256(join(dir, name))}  ${name}`);
  }
  await Deno.writeTextFile(join(dir, "SHA256SUMS"), sums.join("\n") + "\n");
}

/** Runs scripts/package-plugin.sh with the key "Plugin Signer" of `k`, writing into `out`. */
export function packagePlugin(
  k: SigningKey,
  out: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
  return run("bash", [join(REPO, "scripts/package-plugin.sh"), "Plugin Signer", k.secring, out], {
    env: { PATH: `${toolsBin()}:${Deno.env.get("PATH")}`, HOME: k.dir, ...env },
  });
}
