// The two plugin manifests, one behaviour: plugin.yaml (legacy, for Helm 3, and Helm 4 from git or a
// folder) and helm4/plugin.yaml (apiVersion v1, in the Helm 4 packages). Helm 4 maps the legacy fields
// onto v1 as usage -> config.shortHelp, description -> config.longHelp (helm/helm
// internal/plugin/metadata_legacy.go), so those must say the same; so must name, version, ignoreFlags and
// the command of every platform. Both are read by the real Helm 4 as the plugin list and help show them.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { helmHomes, REPO, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";

interface Legacy {
  name: string;
  version: string;
  usage: string;
  description: string;
  ignoreFlags: boolean;
  platformCommand: { os: string; arch?: string; command: string; args?: string[] }[];
  hooks: Record<string, string>;
}
interface V1 {
  apiVersion: string;
  type: string;
  runtime: string;
  name: string;
  version: string;
  config: { shortHelp: string; longHelp: string; ignoreFlags: boolean; usage?: string };
  runtimeConfig: {
    platformCommand: Legacy["platformCommand"];
    platformHooks: Record<string, Legacy["platformCommand"]>;
  };
}

const legacy = parse(await Deno.readTextFile(join(REPO, "plugin.yaml"))) as Legacy;
const v1 = parse(await Deno.readTextFile(join(REPO, "helm4/plugin.yaml"))) as V1;
const denoJson = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json")));

Deno.test("the Helm 4 manifest is a cli/v1 subprocess plugin with the legacy one's name, version, help and commands", () => {
  assert.deepEqual([v1.apiVersion, v1.type, v1.runtime], ["v1", "cli/v1", "subprocess"]);
  assert.equal(v1.name, legacy.name);
  assert.equal(v1.version, legacy.version);
  assert.equal(v1.version, denoJson.version);
  assert.equal(v1.config.shortHelp, legacy.usage);
  assert.equal(v1.config.longHelp, legacy.description);
  assert.equal(v1.config.ignoreFlags, legacy.ignoreFlags);
  assert.equal(v1.config.usage, undefined, "config.usage would rename the command (cobra's Use)");
  assert.deepEqual(v1.runtimeConfig.platformCommand, legacy.platformCommand);
});

Deno.test("every platform the Helm 4 manifest runs on has an install hook proving its binary runs there", () => {
  const install = v1.runtimeConfig.platformHooks.install;
  for (const c of v1.runtimeConfig.platformCommand) {
    const hook = install.find((h) => h.os === c.os && h.arch === c.arch);
    assert.ok(hook, c.os);
    assert.deepEqual([hook.command, hook.args], [c.command, ["--version"]]);
  }
  // The legacy manifest's hooks would be ignored in a v1 manifest, silently: none may be left there.
  assert.equal((v1 as unknown as Record<string, unknown>).hooks, undefined);
  assert.equal((v1.runtimeConfig as unknown as Record<string, unknown>).hooks, undefined);
});

Deno.test("Helm 4 shows the same plugin from either manifest (list and help)", async () => {
  const shown: string[] = [];
  for (const manifest of ["plugin.yaml", "helm4/plugin.yaml"]) {
    await using dir = await tempDir();
    const plugin = join(dir.path, "fastcs");
    await Deno.mkdir(join(plugin, "bin"), { recursive: true });
    await Deno.copyFile(join(REPO, manifest), join(plugin, "plugin.yaml"));
    // A STAND-IN for the binary (deno compile cannot run here), and an install hook that only runs it.
    await Deno.writeTextFile(join(plugin, "bin/helm-fastcs"), `#!/bin/sh\necho "${v1.version} (stand-in)"\n`);
    await Deno.chmod(join(plugin, "bin/helm-fastcs"), 0o755);
    await Deno.writeTextFile(join(plugin, "install-binary.sh"), "exit 0\n");
    const env = { ...helmHomes(dir.path), HOME: dir.path, PATH: "/usr/bin:/bin" };
    const installed = await run(tool("helm4"), ["plugin", "install", plugin], { env });
    assert.equal(installed.code, 0, installed.stderr);
    const list = await run(tool("helm4"), ["plugin", "list"], { env });
    const row = list.stdout.split("\n").find((l) => l.startsWith("fastcs"))!.split(/\s+/);
    const help = await run(tool("helm4"), ["help", "fastcs"], { env });
    shown.push(`${row[1]} ${row[2]} | ${help.stdout.replaceAll(dir.path, "HOME").trim()}`);
    assert.match((await run(tool("helm4"), ["fastcs"], { env })).stdout, /\(stand-in\)/);
  }
  assert.equal(shown[0], shown[1]);
  assert.match(
    shown[0],
    new RegExp(`^${v1.version.replaceAll(".", "\\.")} cli/v1 \\| ${legacy.description.split("\n")[0]}`),
  );
});
