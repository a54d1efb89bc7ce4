// The signed plugin packages (scripts/package-plugin.sh): the all-platform tarball whose install hook
// installs the release binary, and the per-platform Helm 4 packages that contain the binary, so that
// the provenance covers everything Helm runs. Helm 4 verifies them on install against the public key
// (from a local HTTP server, as from a release page) and refuses them when tampered. The binaries are
// STAND-INs (shell scripts printing a version): `deno compile` needs Deno's runtime download, which this
// machine cannot reach; the release workflow builds the real ones.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { helmHomes, REPO, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { signingKey } from "../support/signing.ts";
import { packagePlugin, sha256, standInArchives } from "../support/plugin_packages.ts";

const version = /^version: (.+)$/m.exec(await Deno.readTextFile(join(REPO, "plugin.yaml")))![1];

/** A static server of `root` that records the paths asked for; disposing of it closes it. */
function serve(root: string) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    try {
      return new Response(await Deno.readFile(join(root, path)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const listing = async (tarball: string) =>
  (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter(Boolean).sort().join(" ");

Deno.test("Helm 4 installs the signed all-platform tarball after verifying it, and refuses a tampered one", async () => {
  await using k = await signingKey("Plugin Signer <plugins@example.org>", "fastcs-plugin-keys-");
  const out = join(k.dir, "dist");
  const built = await packagePlugin(k, out, { RELEASE_URL: "https://example.org/releases/download" });
  assert.equal(built.code, 0, built.stderr);
  const tarball = join(out, `fastcs-${version}.tgz`);
  assert.equal(
    await listing(tarball),
    "fastcs fastcs/README.md fastcs/completion.yaml fastcs/install-binary.ps1 fastcs/install-binary.sh " +
      "fastcs/plugin.complete fastcs/plugin.yaml",
  );
  const hook = await run("tar", ["-xzOf", tarball, "fastcs/install-binary.sh"]);
  assert.match(hook.stdout, /^DEFAULT_RELEASE_URL="https:\/\/example\.org\/releases\/download"$/m);
  const windowsHook = await run("tar", ["-xzOf", tarball, "fastcs/install-binary.ps1"]);
  assert.match(windowsHook.stdout, /^\$DefaultReleaseUrl = "https:\/\/example\.org\/releases\/download"$/m);

  // A stand-in release archive for the install hook.
  await using stage = await tempDir();
  await standInArchives(stage.path, ["linux-amd64"]);
  await using home = await tempDir();
  const helmEnv = {
    ...helmHomes(home.path),
    HOME: home.path,
    HELM_FASTCS_ARCHIVE: join(stage.path, "helm-fastcs-linux-amd64.tar.gz"),
    PATH: "/usr/bin:/bin",
  };
  const installed = await run(tool("helm4"), ["plugin", "install", tarball, "--keyring", k.pubring], {
    env: helmEnv,
  });
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout + installed.stderr, /Plugin Hash Verified/);
  assert.match((await run(tool("helm4"), ["fastcs", "--version"], { env: helmEnv })).stdout, /\(stand-in/);

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
  ], { env: { ...helmEnv, ...helmHomes(home2.path) } });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /sha256 sums do not match|verif/i);
});

Deno.test("per-platform Helm 4 packages hold the binary; Helm 4 installs one verified over HTTP, downloads nothing else, and refuses it tampered", async (t) => {
  await using k = await signingKey("Plugin Signer <plugins@example.org>", "fastcs-plugin-keys-");
  const archives = join(k.dir, "archives");
  await Deno.mkdir(archives);
  await standInArchives(archives, ["linux-amd64", "darwin-arm64", "windows-amd64"]);
  const out = join(k.dir, "dist");
  const built = await packagePlugin(k, out, { ARCHIVES: archives });
  assert.equal(built.code, 0, built.stderr);

  await t.step(
    "one package per archive: the Helm 4 manifest, the binary, completion; no install script",
    async () => {
      for (
        const [platform, exe] of [["linux-amd64", "bin/helm-fastcs"], ["darwin-arm64", "bin/helm-fastcs"], [
          "windows-amd64",
          "bin/helm-fastcs.exe",
        ]]
      ) {
        const tarball = join(out, `fastcs-${version}-${platform}.tgz`);
        assert.equal(
          await listing(tarball),
          `fastcs fastcs/README.md fastcs/bin fastcs/${exe} fastcs/completion.yaml fastcs/plugin.complete fastcs/plugin.yaml`,
        );
        const manifest = parse((await run("tar", ["-xzOf", tarball, "fastcs/plugin.yaml"])).stdout);
        assert.deepEqual([manifest.apiVersion, manifest.type, manifest.version], ["v1", "cli/v1", version]);
        const prov = await Deno.readTextFile(`${tarball}.prov`);
        const sum = await sha256(tarball);
        assert.match(prov, new RegExp(`^  fastcs-${version}-${platform}\\.tgz: sha256:${sum}$`, "m"));
        assert.match(prov, /^-----BEGIN PGP SIGNATURE-----$/m);
      }
      const verified = await run(tool("helm4"), [
        "plugin",
        "verify",
        join(out, `fastcs-${version}-darwin-arm64.tgz`),
        "--keyring",
        k.pubring,
      ]);
      assert.equal(verified.code, 0, verified.stderr);
    },
  );

  await using srv = serve(out);
  const url = `${srv.url}/fastcs-${version}-linux-amd64.tgz`;
  await t.step("helm4 plugin install <URL> verifies the signature and runs the packaged binary", async () => {
    await using home = await tempDir();
    const env = { ...helmHomes(home.path), HOME: home.path, PATH: "/usr/bin:/bin" };
    const installed = await run(tool("helm4"), ["plugin", "install", url, "--keyring", k.pubring], { env });
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout + installed.stderr, /Plugin Hash Verified/);
    assert.match(installed.stdout + installed.stderr, /Signed by: Plugin Signer/);
    const requested = srv.requests.splice(0).filter((p) => !p.endsWith(".prov")).sort();
    assert.deepEqual(requested, [`/fastcs-${version}-linux-amd64.tgz`]); // nothing downloaded by a hook
    assert.equal(
      (await run(tool("helm4"), ["fastcs", "--version"], { env })).stdout.trim(),
      `${version} (stand-in for linux-amd64)`,
    );
    const list = await run(tool("helm4"), ["plugin", "list"], { env });
    assert.match(list.stdout, /^fastcs\s+\S+\s+cli\/v1\s+v1\s+signed\s/m);
    const completion = await run(tool("helm4"), ["__complete", "fastcs", "debug", ""], { env });
    assert.match(completion.stdout, /^stand-in-value\n:4\n/);
  });

  await t.step("a package whose binary was changed is refused, and nothing is installed", async () => {
    const tampered = join(k.dir, "tampered");
    await Deno.mkdir(tampered);
    const name = `fastcs-${version}-linux-amd64.tgz`;
    const r = await run("bash", [
      "-c",
      `cd ${tampered} && tar -xzf ${
        join(out, name)
      } && printf '#!/bin/sh\\necho evil\\n' > fastcs/bin/helm-fastcs && ` +
      `tar -czf ${name} fastcs && cp ${join(out, name)}.prov .`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    await using evil = serve(tampered);
    await using home = await tempDir();
    const env = { ...helmHomes(home.path), HOME: home.path, PATH: "/usr/bin:/bin" };
    const refused = await run(tool("helm4"), [
      "plugin",
      "install",
      `${evil.url}/${name}`,
      "--keyring",
      k.pubring,
    ], {
      env,
    });
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /plugin verification failed: sha256 sum does not match for fastcs-.*-linux-amd64\.tgz/,
    );
    assert.doesNotMatch((await run(tool("helm4"), ["plugin", "list"], { env })).stdout, /fastcs/);
  });

  await t.step("an archive that does not match SHA256SUMS is not packaged", async () => {
    await Deno.writeTextFile(join(archives, "helm-fastcs-darwin-arm64.tar.gz"), "changed");
    const failed = await packagePlugin(k, join(k.dir, "dist2"), { ARCHIVES: archives });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /helm-fastcs-darwin-arm64\.tar\.gz does not match its SHA256SUMS line/);
  });
});
