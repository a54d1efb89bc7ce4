// The signed Helm 4 plugin tarball (scripts/package-plugin.sh): Helm 4 verifies it on install against
// the public key, refuses it when tampered, and its install hook installs the release binary (here a
// STAND-IN archive given as a local file, since no release exists to download from).
import assert from "node:assert/strict";
import { join } from "node:path";
import { helmHomes, REPO, run, tool, toolsBin } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { signingKey } from "../support/signing.ts";

Deno.test("Helm 4 installs the signed plugin tarball after verifying it, and refuses a tampered one", async () => {
  await using k = await signingKey("Plugin Signer <plugins@example.org>", "fastcs-plugin-keys-");
  const out = join(k.dir, "dist");
  const env = { PATH: `${toolsBin()}:${Deno.env.get("PATH")}` };
  const built = await run(
    "bash",
    [join(REPO, "scripts/package-plugin.sh"), "Plugin Signer", k.secring, out],
    { env: { ...env, RELEASE_URL: "https://example.org/releases/download" } },
  );
  assert.equal(built.code, 0, built.stderr);
  const version = /^version: (.+)$/m.exec(await Deno.readTextFile(join(REPO, "plugin.yaml")))![1];
  const tarball = join(out, `fastcs-${version}.tgz`);
  assert.equal(
    (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter(Boolean).sort().join(" "),
    "fastcs fastcs/README.md fastcs/install-binary.ps1 fastcs/install-binary.sh fastcs/plugin.yaml",
  );
  const hook = await run("tar", ["-xzOf", tarball, "fastcs/install-binary.sh"]);
  assert.match(hook.stdout, /^DEFAULT_RELEASE_URL="https:\/\/example\.org\/releases\/download"$/m);
  const windowsHook = await run("tar", ["-xzOf", tarball, "fastcs/install-binary.ps1"]);
  assert.match(windowsHook.stdout, /^\$DefaultReleaseUrl = "https:\/\/example\.org\/releases\/download"$/m);

  // A stand-in release archive for the install hook.
  await using stage = await tempDir();
  await Deno.mkdir(join(stage.path, "bin"));
  await Deno.writeTextFile(join(stage.path, "bin/helm-fastcs"), `#!/bin/sh\necho "${version} (stand-in)"\n`);
  await Deno.chmod(join(stage.path, "bin/helm-fastcs"), 0o755);
  const archive = join(stage.path, "helm-fastcs-linux-amd64.tar.gz");
  await run("tar", ["-czf", archive, "-C", stage.path, "bin"]);

  await using home = await tempDir();
  const helmEnv = {
    ...helmHomes(home.path),
    HOME: home.path,
    HELM_FASTCS_ARCHIVE: archive,
    PATH: "/usr/bin:/bin",
  };
  const installed = await run(tool("helm4"), ["plugin", "install", tarball, "--keyring", k.pubring], {
    env: helmEnv,
  });
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout + installed.stderr, /Plugin Hash Verified/);
  assert.match((await run(tool("helm4"), ["fastcs", "--version"], { env: helmEnv })).stdout, /\(stand-in\)/);

  const tampered = join(k.dir, "tampered");
  await Deno.mkdir(tampered);
  await run("bash", [
    "-c",
    `cd ${tampered} && tar -xzf ${tarball} && echo '# changed' >> fastcs/install-binary.sh && tar -czf fastcs-${version}.tgz fastcs && cp ${tarball}.prov .`,
  ]);
  await using home2 = await tempDir();
  const refused = await run(tool("helm4"), [
    "plugin",
    "install",
    join(tampered, `fastcs-${version}.tgz`),
    "--keyring",
    k.pubring,
  ], {
    env: {
      ...helmEnv,
      ...helmHomes(home2.path),
    },
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /sha256 sums do not match|verif/i);
});
