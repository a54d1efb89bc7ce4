// helm fastcs publish under bad destinations and interruptions (real git, real Helm 4, chart repository
// folders): a bad --repo-dir or --artifacts is refused before anything is built or pushed, a damaged
// package in the repository folder is named, a package a crashed run left unindexed is indexed on the next
// run, and Ctrl+C ends with the summary of what was pushed and no scratch folder left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, run, spawnCli } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { envFor, publish } from "../support/publish.ts";

Deno.test("publish: bad destinations are refused first, typed (exit 5 or 6), nothing pushed", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const site = join(repo.dir, "..", "site-file");
  await Deno.writeTextFile(site, "not a folder\n");
  const file = await publish(repo, env, "--repo-dir", site);
  assert.equal(file.code, 5, file.stderr);
  assert.match(file.stderr, /--repo-dir .*site-file is a file, not a chart repository folder/);
  await using good = await tempDir("fastcs-site-");
  const cases: [string[], number, RegExp][] = [
    [["--artifacts", site], 5, /--artifacts .*site-file is a file, not a folder/],
    [["--artifacts", "charts/fastcs/dist"], 5, /inside the charts or the schemas folder/],
    [["--artifacts", "schemas"], 5, /inside the charts or the schemas folder/],
    // /proc is a read-only file system, even for root.
    [["--artifacts", "/proc/fastcs-artifacts"], 6, /cannot write artifacts to \/proc\/fastcs-artifacts/],
  ];
  for (const [args, code, message] of cases) {
    const r = await publish(repo, env, "--repo-dir", good.path, ...args);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /please report/);
    assert.deepEqual([...Deno.readDirSync(good.path)], [], "nothing was published");
  }
});

Deno.test("publish --repo-dir: a damaged package is named (exit 8); an unindexed one is indexed on rerun", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.git("tag", "v1.0.0");
  await using site = await tempDir("fastcs-site-");
  await Deno.writeTextFile(join(site.path, "fastcs-1.0.0.tgz"), "not a gzip file");
  const damaged = await publish(repo, env, "--repo-dir", site.path);
  assert.equal(damaged.code, 8, damaged.stderr);
  assert.match(
    damaged.stderr,
    /fastcs-1\.0\.0\.tgz in the chart repository folder is not a readable chart package/,
  );
  assert.match(damaged.stderr, /^hint: Nothing was pushed/m);
  await Deno.remove(join(site.path, "fastcs-1.0.0.tgz"));
  // A run that died after copying the package and before writing index.yaml.
  const first = await publish(repo, env, "--repo-dir", site.path);
  assert.equal(first.code, 0, first.stderr);
  await Deno.remove(join(site.path, "index.yaml"));
  const rerun = await publish(repo, env, "--repo-dir", site.path);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /fastcs +1\.0\.0 .* pushed/);
  assert.match(await Deno.readTextFile(join(site.path, "index.yaml")), /version: 1\.0\.0/);
  const third = await publish(repo, env, "--repo-dir", site.path);
  assert.match(third.stdout, /already published/);
});

Deno.test("publish: Ctrl+C during the pushes ends with the summary, exit 130, no scratch folder left", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo(30);
  await using site = await tempDir("fastcs-site-");
  await using tmp = await tempDir("fastcs-tmp-");
  const watcher = Deno.watchFs(site.path);
  const child = spawnCli(["publish", "--repo-dir", site.path, "--concurrency", "1"], {
    cwd: repo.dir,
    env: { ...env, TMPDIR: tmp.path },
  });
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  for await (const event of watcher) {
    if (event.paths.some((p) => p.endsWith(".tgz"))) break; // the first package has arrived
  }
  watcher.close();
  child.kill("SIGINT");
  const { code } = await child.status;
  assert.equal(code, 130, await stderr);
  assert.match(await stdout, /^CHART +VERSION +REFERENCE/m);
  assert.match(await stdout, /pushed/);
  assert.match(await stdout, /interrupted before it was pushed/);
  assert.match(await stderr, /interrupted: the summary above says what was pushed/);
  assert.deepEqual([...Deno.readDirSync(tmp.path)].map((e) => e.name), [], "the scratch folder is removed");
  const leftovers = (await run("find", [site.path, "-name", "*.tmp"])).stdout.trim();
  assert.equal(leftovers, "");
});

Deno.test("publish: a tag on HEAD that is no SemVer release is said, not silently ignored; --tag-prefix accepts it", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.git("tag", "diracx-1.1.6");
  await using site = await tempDir("fastcs-site-");
  const dev = await publish(repo, env, "--repo-dir", site.path, "--dry-run");
  assert.equal(dev.code, 0, dev.stderr);
  assert.match(
    dev.stderr,
    /HEAD carries diracx-1\.1\.6, which is no SemVer release tag: publishing an untagged \(dev\) build/,
  );
  assert.match(dev.stdout, /fastcs +0\.1\.0-/);
  const tagged = await publish(repo, env, "--repo-dir", site.path, "--tag-prefix", "diracx-");
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.match(tagged.stdout, /fastcs +1\.1\.6 .* pushed/);
});

Deno.test("publish: the image policy judges what the chart renders (defaults, ci/*.yaml, --image-values)", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const pod = (name: string, image: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: c, image: "${image}"}]\n---\n`;
  const files: Record<string, string> = {
    "charts/imgs/Chart.yaml":
      "apiVersion: v2\nname: imgs\nversion: 1.0.0\nappVersion: 2.0.0\ndependencies: [{name: side, version: 1.0.0}]\n",
    "charts/imgs/values.yaml": [
      "global:",
      "  imageTag: 1.0.0",
      "Image: ghcr.io/o/cap:1.0.0",
      "side:",
      "  repository: ghcr.io/o/side # the tag comes from the sub-chart's own values",
      "",
    ].join("\n"),
    "charts/imgs/templates/pods.yaml": pod("a", "ghcr.io/o/app:{{ .Values.global.imageTag }}") +
      pod("b", "{{ .Values.Image }}") +
      pod("c", "ghcr.io/o/own:{{ .Chart.AppVersion }}"),
    "charts/imgs/charts/side/Chart.yaml": "apiVersion: v2\nname: side\nversion: 1.0.0\n",
    "charts/imgs/charts/side/values.yaml": "repository: busybox\ntag: '1.36'\n",
    "charts/imgs/charts/side/templates/pod.yaml": pod("side", "{{ .Values.repository }}:{{ .Values.tag }}"),
    // All charts render with their defaults in one umbrella: another chart's globals must not reach this one.
    "charts/plain/Chart.yaml": "apiVersion: v2\nname: plain\nversion: 1.0.0\n",
    "charts/plain/values.yaml": "global: {}\n",
    "charts/plain/templates/pod.yaml": pod(
      "p",
      'ghcr.io/o/plain:{{ .Values.global.imageTag | default "2.0" }}',
    ),
  };
  for (const [path, text] of Object.entries(files)) await repo.write(path, text);
  await repo.commit("imgs");
  await using site = await tempDir("fastcs-site-");
  const ok = await publish(repo, env, "--repo-dir", site.path, "--dry-run", "--skip-schema-check");
  assert.equal(ok.code, 0, ok.stderr); // nothing latest; the sub-chart's tag is found in its own values
  // A global tag that a template uses, a capitalised key, and a ci/ file: each is found in what renders.
  await repo.write("charts/imgs/ci/latest-values.yaml", "Image: ghcr.io/o/cap:latest\n");
  await repo.write(
    "charts/imgs/values.yaml",
    files["charts/imgs/values.yaml"].replace("imageTag: 1.0.0", "imageTag: latest"),
  );
  await repo.commit("latest");
  await Deno.writeTextFile(join(repo.dir, "..", "extra-values.yaml"), "side:\n  tag: latest\n");
  const refused = await publish(
    repo,
    env,
    "--repo-dir",
    site.path,
    "--skip-schema-check",
    "--image-values",
    join(repo.dir, "..", "extra-values.yaml"),
  );
  assert.equal(refused.code, 8, refused.stderr);
  assert.match(
    refused.stderr,
    /chart imgs \(default values\): Pod\/a container c: image ghcr\.io\/o\/app:latest uses :latest/,
  );
  assert.match(
    refused.stderr,
    /chart imgs \(ci\/latest-values\.yaml\): Pod\/b container c: image ghcr\.io\/o\/cap:latest uses :latest/,
  );
  assert.match(
    refused.stderr,
    /extra-values\.yaml\): Pod\/side container c: image ghcr\.io\/o\/side:latest uses :latest/,
  );
  assert.doesNotMatch(refused.stderr, /own:/, "the appVersion the release gets is what templates see");
  assert.doesNotMatch(refused.stderr, /chart plain/, "a sibling chart's global.imageTag is not this chart's");
  assert.deepEqual([...Deno.readDirSync(site.path)], [], "nothing was published");
});

Deno.test("publish: vendored dependencies are used when they match Chart.lock; --skip-dependency-build always", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.write(
    "charts/app/Chart.yaml",
    "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: lib\n    version: 1.0.0\n    repository: https://charts.invalid\n",
  );
  await repo.write("charts/app/templates/cm.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n");
  await repo.write("charts/app/charts/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 1.0.0\n");
  await repo.write(
    "charts/app/Chart.lock",
    'dependencies:\n- name: lib\n  repository: https://charts.invalid\n  version: 1.0.0\ndigest: sha256:0\ngenerated: "2026-11-21T00:00:00Z"\n',
  );
  await repo.commit("vendored lib");
  await using site = await tempDir("fastcs-site-");
  const args = ["--repo-dir", site.path, "--dry-run", "--skip-schema-check"];
  const matching = await publish(repo, env, ...args);
  assert.equal(matching.code, 0, matching.stderr); // no network needed: charts.invalid is never asked
  await repo.write(
    "charts/app/Chart.lock",
    (await Deno.readTextFile(join(repo.dir, "charts/app/Chart.lock"))).replace(
      "version: 1.0.0",
      "version: 2.0.0",
    ),
  );
  await repo.commit("lock moved on");
  const stale = await publish(repo, env, ...args);
  assert.equal(stale.code, 8, stale.stderr);
  assert.match(stale.stderr, /chart app: helm dependency build failed/);
  const skipped = await publish(repo, env, ...args, "--skip-dependency-build");
  assert.equal(skipped.code, 0, skipped.stderr);
});

Deno.test("publish: a rerun after helm dependency build is 'already published' (Chart.lock's time is no content)", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.write("charts/alpha/Chart.yaml", "apiVersion: v2\nname: alpha\nversion: 1.0.0\n");
  await repo.write(
    "charts/alpha/templates/cm.yaml",
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n",
  );
  await repo.write(
    "charts/beta/Chart.yaml",
    'apiVersion: v2\nname: beta\nversion: 1.0.0\ndependencies: [{name: alpha, version: ">=0.0.0", repository: "file://../alpha"}]\n',
  );
  await repo.write("charts/beta/templates/cm.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\n");
  await repo.commit("beta depends on alpha by file://");
  await repo.git("tag", "v6.0.0");
  await using site = await tempDir("fastcs-site-");
  const first = await publish(repo, env, "--repo-dir", site.path, "--skip-schema-check");
  assert.equal(first.code, 0, first.stderr);
  await new Promise((r) => setTimeout(r, 1100)); // a later second: Chart.lock's generated: differs
  const again = await publish(repo, env, "--repo-dir", site.path, "--skip-schema-check");
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /beta +6\.0\.0 .* already published/);
});

Deno.test("publish: a chart that needs values is still checked with its ci/ files; Helm's real error is quoted", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  await repo.write("charts/needy/Chart.yaml", "apiVersion: v2\nname: needy\nversion: 1.0.0\n");
  await repo.write("charts/needy/values.yaml", "image:\n  tag: '1.0'\n");
  await repo.write(
    "charts/needy/templates/pod.yaml",
    'apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec:\n  containers: [{name: c, image: "{{ required "image.repo is required" .Values.image.repo }}:{{ .Values.image.tag }}"}]\n',
  );
  await repo.write("charts/needy/ci/latest-values.yaml", "image: {repo: nginx, tag: latest}\n");
  await repo.commit("a chart that needs values");
  await using site = await tempDir("fastcs-site-");
  const r = await publish(
    repo,
    env,
    "--repo-dir",
    site.path,
    "--dry-run",
    "--skip-schema-check",
    "--skip-lint",
  );
  assert.equal(r.code, 8, r.stderr);
  assert.match(
    r.stderr,
    /chart needy does not render with its default values \(.*image\.repo is required.*\)/,
  );
  assert.match(
    r.stderr,
    /chart needy \(ci\/latest-values\.yaml\): Pod\/n container c: image nginx:latest uses :latest/,
  );
});

Deno.test("publish: Ctrl+C while an unreachable registry is retried stops the retries and exits 130", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const port = freePort(); // nothing listens there
  const child = spawnCli(
    [
      "publish",
      "--oci",
      `oci://127.0.0.1:${port}/charts`,
      "--plain-http",
      "--retries",
      "6",
      "--tag",
      "5.0.0",
    ],
    { cwd: repo.dir, env },
  );
  const out = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!/retrying/.test(stderr)) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  const sent = performance.now();
  child.kill("SIGINT");
  const rest = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) stderr += r.value;
  })();
  const { code } = await child.status;
  await rest;
  await out;
  assert.equal(code, 130, stderr);
  assert.ok(
    performance.now() - sent < 5000,
    `stopped ${Math.round(performance.now() - sent)} ms after Ctrl+C`,
  );
});
