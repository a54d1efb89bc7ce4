// OCI distribution of the per-platform Helm 4 plugin packages: scripts/push_plugin.ts pushes them through
// the registry HTTP API to the local docker-registry (behind htpasswd), one repository per platform named
// after the plugin, tagged with the version, with the artifact type and layer titles Helm 4 reads; the
// real helm4 4.1.4 installs from there with the signature verified, and refuses a package that does not
// match its provenance. The binaries are STAND-INs (tests/support/plugin_packages.ts).
import assert from "node:assert/strict";
import { join } from "node:path";
import { helmHomes, REPO, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { packagePlugin, PLUGIN_VERSION as version, standInArchives } from "../support/plugin_packages.ts";
import { startRegistry } from "../support/registry.ts";
import { signingKey } from "../support/signing.ts";
import { PLUGIN_ARTIFACT_TYPE, pushPluginPackage, Registry } from "../../scripts/push_plugin.ts";

Deno.test("helm4 plugin install oci://… installs the pushed per-platform package, verified; a mismatch is refused", async (t) => {
  await using k = await signingKey("Plugin Signer <plugins@example.org>", "fastcs-plugin-keys-");
  const archives = join(k.dir, "archives");
  await Deno.mkdir(archives);
  await standInArchives(archives, ["linux-amd64", "darwin-arm64"]);
  const dist = join(k.dir, "dist");
  const built = await packagePlugin(k, dist, { ARCHIVES: archives });
  assert.equal(built.code, 0, built.stderr);
  await using registry = await startRegistry({ auth: true });
  const base = `oci://${registry.host}/helm-plugins`;
  const push = (env: Record<string, string>) =>
    run(Deno.execPath(), [
      "run",
      "-A",
      "--frozen",
      join(REPO, "scripts/push_plugin.ts"),
      "--plain-http",
      base,
      dist,
    ], {
      env: { ...env, PATH: Deno.env.get("PATH")! },
    });
  const credentials = { REGISTRY_USERNAME: registry.username!, REGISTRY_PASSWORD: registry.password! };

  await t.step("push: one repository per platform, named fastcs, tagged with the version", async () => {
    const refused = await push({});
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /push-plugin: starting an upload to helm-plugins\/darwin-arm64\/fastcs: HTTP 401/,
    );
    const pushed = await push(credentials);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(
      pushed.stdout,
      new RegExp(`^${base}/linux-amd64/fastcs:${version}@sha256:[0-9a-f]{64}\t`, "m"),
    );
    for (const platform of ["linux-amd64", "darwin-arm64"]) {
      assert.deepEqual(await registry.tags(`helm-plugins/${platform}/fastcs`), [version]);
    }
    const manifest =
      await (await fetch(`http://${registry.host}/v2/helm-plugins/linux-amd64/fastcs/manifests/${version}`, {
        headers: {
          Accept: "application/vnd.oci.image.manifest.v1+json",
          Authorization: `Basic ${btoa(`${registry.username}:${registry.password}`)}`,
        },
      })).json();
    assert.equal(manifest.artifactType, PLUGIN_ARTIFACT_TYPE);
    assert.equal(manifest.config.mediaType, "application/vnd.oci.empty.v1+json");
    assert.deepEqual(
      manifest.layers.map((l: { annotations: Record<string, string> }) =>
        l.annotations["org.opencontainers.image.title"]
      ),
      [`fastcs-${version}.tgz`, `fastcs-${version}.tgz.prov`],
    );
  });

  // Helm 4.1.4's verification pull ignores `plugin install --username/--password` ("basic credential not
  // found"): a login kept in Helm's registry config is what works.
  const login = ["--plain-http"];
  const helmLogin = async (env: Record<string, string>) => {
    const r = await run(tool("helm4"), [
      "registry",
      "login",
      registry.host,
      "--plain-http",
      "--username",
      registry.username!,
      "--password",
      registry.password!,
    ], { env });
    assert.equal(r.code, 0, r.stderr);
  };
  await t.step(
    "helm4 installs oci://…/linux-amd64/fastcs:<version> after verifying the signature",
    async () => {
      await using home = await tempDir();
      const env = { ...helmHomes(home.path), HOME: home.path, PATH: "/usr/bin:/bin" };
      const ref = `${base}/linux-amd64/fastcs:${version}`;
      await helmLogin(env);
      const installed = await run(
        tool("helm4"),
        ["plugin", "install", ref, "--keyring", k.pubring, ...login],
        { env },
      );
      assert.equal(installed.code, 0, installed.stderr);
      assert.match(installed.stdout + installed.stderr, /Plugin Hash Verified/);
      assert.equal(
        (await run(tool("helm4"), ["fastcs", "--version"], { env })).stdout.trim(),
        `${version} (stand-in for linux-amd64)`,
      );
      assert.match(
        (await run(tool("helm4"), ["plugin", "list"], { env })).stdout,
        /^fastcs\s+\S+\s+cli\/v1\s+v1\s+signed\s/m,
      );
      // Helm 4.1.4 does not apply --version to an oci:// plugin source: the README says to put the tag in
      // the reference. When this starts to pass, Helm has fixed it and the README can offer --version.
      await using home2 = await tempDir();
      const byVersion = await run(tool("helm4"), [
        "plugin",
        "install",
        `${base}/linux-amd64/fastcs`,
        "--version",
        version,
        "--keyring",
        k.pubring,
        ...login,
      ], { env: { ...env, HELM_DATA_HOME: join(home2.path, "data") } });
      assert.notEqual(byVersion.code, 0);
      assert.match(byVersion.stderr, /invalid reference/);
    },
  );

  await t.step("a package pushed with another package's provenance is refused", async () => {
    const registryClient = new Registry(`http://${registry.host}`, {
      username: registry.username!,
      password: registry.password!,
    });
    await pushPluginPackage(
      registryClient,
      "evil/linux-amd64/fastcs",
      version,
      `fastcs-${version}.tgz`,
      await Deno.readFile(join(dist, `fastcs-${version}-darwin-arm64.tgz`)),
      await Deno.readFile(join(dist, `fastcs-${version}-linux-amd64.tgz.prov`)),
    );
    await using home = await tempDir();
    const env = { ...helmHomes(home.path), HOME: home.path, PATH: "/usr/bin:/bin" };
    await helmLogin(env);
    const refused = await run(tool("helm4"), [
      "plugin",
      "install",
      `oci://${registry.host}/evil/linux-amd64/fastcs:${version}`,
      "--keyring",
      k.pubring,
      ...login,
    ], { env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /sha256 sum does not match/);
    assert.doesNotMatch((await run(tool("helm4"), ["plugin", "list"], { env })).stdout, /fastcs/);
  });
});
