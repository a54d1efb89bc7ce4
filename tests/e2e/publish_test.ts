// helm fastcs publish against a real OCI registry (Debian docker-registry), real git repositories and the
// real Helm 3 and 4.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { envFor, publish, publishTo, showChart } from "../support/publish.ts";
import { startRegistry } from "../support/registry.ts";

for (const helm of ["helm3", "helm4"] as const) {
  Deno.test(`${helm}: untagged, tagged, rerun and a changed chart under a published version`, async () => {
    await using registry = await startRegistry();
    const env = await envFor(helm);
    await using repo = await createTestRepo();
    const hash = await repo.git("rev-parse", "--short", "HEAD");
    // A hash of digits with a leading zero is no SemVer identifier: publish writes g<hash> then.
    const devVersion = `0.1.0-${/^0\d*$/.test(hash) ? "g" : ""}${hash}`;
    const devRe = devVersion.replaceAll(".", "\\.");
    const dev = await publish(
      repo,
      env,
      "--oci",
      registry.base.replace("charts", "Charts"),
      "--plain-http",
    );
    assert.equal(dev.code, 0, dev.stderr);
    assert.match(
      dev.stdout,
      new RegExp(
        `fastcs +${devRe} +oci://${registry.host}/charts/fastcs:${devRe} +sha256:\\w+ +pushed`,
      ),
    );
    const devChart = await showChart(env, registry, "fastcs", devVersion);
    assert.deepEqual([devChart.version, devChart.appVersion], [devVersion, hash]);

    await repo.git("tag", "v1.2.3");
    const tagged = await publish(repo, env, "--oci", registry.base, "--plain-http", "-o", "json");
    assert.equal(tagged.code, 0, tagged.stderr);
    const report = JSON.parse(tagged.stdout);
    assert.deepEqual(report.version, { tag: "v1.2.3", source: "git tag at HEAD", hash });
    assert.equal(report.results[0].status, "pushed");
    assert.match(report.results[0].digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual([(await showChart(env, registry, "fastcs", "1.2.3")).appVersion], ["1.2.3"]);

    const again = await publish(repo, env, "--oci", registry.base, "--plain-http");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /fastcs +1\.2\.3 .* already published/);
    assert.deepEqual(await registry.tags("charts/fastcs"), [devVersion, "1.2.3"]);

    const before = await run("find", [registry.storage, "-type", "f"]);
    await repo.write("charts/fastcs/templates/extra.yaml", "# a change\n");
    await repo.commit("change");
    const taken = await publishTo(repo, env, registry, "1.2.3");
    assert.equal(taken.code, 8, taken.stderr);
    assert.match(taken.stderr, /fastcs:1\.2\.3: version 1\.2\.3 is already published with other content/);
    assert.match(taken.stderr, /nothing was pushed/);
    assert.equal(
      (await run("find", [registry.storage, "-type", "f"])).stdout,
      before.stdout,
      "the registry is untouched",
    );
  });

  Deno.test(`${helm}: refusals (:latest, dirty tree, off-branch) push nothing; dry run pushes nothing`, async () => {
    await using registry = await startRegistry();
    const env = await envFor(helm);
    await using repo = await createTestRepo();
    const values = await Deno.readTextFile(join(repo.dir, "charts/fastcs/values.yaml"));
    await repo.write("charts/fastcs/values.yaml", values.replace('  tag: "" #', "  tag: latest #"));
    await repo.commit("latest image");
    const latest = await publish(repo, env, "--oci", registry.base, "--plain-http", "--skip-schema-check");
    assert.equal(latest.code, 8);
    assert.match(
      latest.stderr,
      /chart fastcs \(default values\): StatefulSet\/fastcs container fastcs: image ghcr\.io\/diamondlightsource\/fastcs-example:latest uses :latest \(set at charts\/fastcs\/values\.yaml:\d+:8 image\.tag\); pin a version \(or pass --allow-latest\)/,
    );

    await repo.write("charts/fastcs/values.yaml", values);
    await repo.commit("pinned");
    await repo.write("notes.txt", "uncommitted\n");
    const dirty = await publish(repo, env, "--oci", registry.base, "--plain-http");
    assert.equal(dirty.code, 8);
    assert.match(dirty.stderr, /uncommitted changes \(notes\.txt\).*--allow-dirty/);
    const allowed = await publish(
      repo,
      env,
      "--oci",
      registry.base,
      "--plain-http",
      "--allow-dirty",
      "--dry-run",
    );
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /would push/);
    assert.match(allowed.stderr, /dry run: nothing was pushed/);

    await Deno.remove(join(repo.dir, "notes.txt"));
    await repo.git("checkout", "-q", "-b", "feature");
    await repo.commit("feature work");
    const branch = await publish(repo, env, "--oci", registry.base, "--plain-http");
    assert.equal(branch.code, 8);
    assert.match(branch.stderr, /is not on the release branch main/);
    assert.deepEqual(await registry.tags("charts/fastcs"), []);
  });
}

Deno.test("bad input: an invalid tag or a chart without a version exits 5 before anything else", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const tag = await publishTo(repo, env, registry, "1.2");
  assert.equal(tag.code, 5);
  assert.match(tag.stderr, /release tag "1\.2" \(from --tag\) is not a SemVer 2\.0\.0 version/);
  await repo.write(
    "charts/fastcs/Chart.yaml",
    (await Deno.readTextFile(join(repo.dir, "charts/fastcs/Chart.yaml"))).replace(/^version: .*\n/m, ""),
  );
  await repo.commit("no version");
  const noVersion = await publish(repo, env, "--oci", registry.base, "--plain-http");
  assert.equal(noVersion.code, 5);
  assert.match(noVersion.stderr, /charts\/fastcs\/Chart\.yaml: version "" is not a SemVer 2\.0\.0 version/);
  const badRef = await publish(repo, env, "--oci", "https://example.org/x");
  assert.equal(badRef.code, 2);
  assert.deepEqual(await registry.tags("charts/fastcs"), []);
});

Deno.test("artifacts: packages, schemas with links resolved, SHA256SUMS that verifies, a manifest", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.git("tag", "2.0.0");
  const out = join(repo.dir, "..", `artifacts-${crypto.randomUUID()}`);
  const r = await publish(repo, env, "--artifacts", out);
  assert.equal(r.code, 0, r.stderr);
  const files = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
  assert.deepEqual(files, [
    "SHA256SUMS",
    "fastcs-2.0.0.tgz",
    "fastcs-service.schema.json",
    "fastcs-values.schema.json",
    "publish-manifest.json",
  ]);
  assert.equal((await Deno.lstat(join(out, "fastcs-values.schema.json"))).isSymlink, false);
  const sums = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: out });
  assert.equal(sums.code, 0, sums.stdout + sums.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "publish-manifest.json")));
  assert.equal(manifest.version.tag, "2.0.0");
});

Deno.test("a classic repository folder: two releases, served over HTTP, both found by helm search repo", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await using site = await tempDir("fastcs-site-");
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    try {
      return new Response(await Deno.readFile(join(site.path, new URL(req.url).pathname)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  for (const tag of ["1.0.0", "1.1.0"]) {
    await repo.git("tag", tag);
    const r = await publish(repo, env, "--repo-dir", site.path, "--repo-url", url);
    assert.equal(r.code, 0, r.stderr);
    await repo.commit(`after ${tag}`);
  }
  const again = await publish(
    repo,
    env,
    "--repo-dir",
    site.path,
    "--repo-url",
    url,
    "--tag",
    "1.0.0",
    "--allow-any-branch",
  );
  assert.match(again.stdout + again.stderr, /already published with other content|already published/);
  const helm = (...args: string[]) => run(env.HELM_BIN, args, { env });
  assert.equal((await helm("repo", "add", "fastcs-test", url)).code, 0);
  const search = await helm("search", "repo", "fastcs-test/fastcs", "--versions", "-o", "json");
  assert.equal(search.code, 0, search.stderr);
  assert.deepEqual(JSON.parse(search.stdout).map((e: { version: string }) => e.version), [
    "1.1.0",
    "1.0.0",
  ]);
});

Deno.test("a lint failure in one of several charts names that chart, and nothing is pushed", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using repo = await createTestRepo(2);
  await repo.write(
    "charts/extra-2/templates/cm.yaml",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name\n",
  );
  await repo.commit("broken template");
  const r = await publish(repo, env, "--oci", registry.base, "--plain-http");
  assert.equal(r.code, 8);
  assert.match(r.stderr, /chart extra-2: helm lint failed/);
  assert.doesNotMatch(r.stderr, /chart extra-1: helm lint failed|chart fastcs: helm lint failed/);
  for (const c of ["extra-1", "extra-2", "fastcs"]) {
    assert.deepEqual(await registry.tags(`charts/${c}`), []);
  }
});

Deno.test("--app-version: keep (Chart.yaml's), hash, a literal value, and the default for a dev build", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const hash = await repo.git("rev-parse", "--short", "HEAD");
  const own = (await Deno.readTextFile(join(repo.dir, "charts/fastcs/Chart.yaml"))).match(
    /^appVersion: *"?([^"\n]*)/m,
  )
    ?.[1];
  assert.ok(own, "the test chart has an appVersion of its own");
  await using out = await tempDir("fastcs-appversion-");
  const planned = async (...args: string[]) => {
    const r = await publish(repo, env, "--repo-dir", out.path, "--dry-run", "-o", "json", ...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).results[0].appVersion;
  };
  assert.equal(await planned(), hash);
  assert.equal(await planned("--app-version", "keep"), own);
  assert.equal(await planned("--keep-app-version"), own);
  assert.equal(await planned("--app-version", "hash", "--tag", "2.0.0"), hash);
  assert.equal(await planned("--app-version", "tag", "--tag", "2.0.0"), "2.0.0");
  assert.equal(await planned("--app-version", "2024.1"), "2024.1");
});
