// helm fastcs publish under bad destinations and interruptions (real git, real Helm 4, chart repository
// folders): a bad --repo-dir or --artifacts is refused before anything is built or pushed, a damaged
// package in the repository folder is named, a package a crashed run left unindexed is indexed on the next
// run, and Ctrl+C ends with the summary of what was pushed and no scratch folder left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, spawnCli } from "../helpers.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { envFor, publish } from "../support/publish.ts";

Deno.test("publish: bad destinations are refused first, typed (exit 5 or 6), nothing pushed", async () => {
  const env = await envFor("helm4");
  const repo = await createTestRepo();
  const site = join(repo.dir, "..", "site-file");
  await Deno.writeTextFile(site, "not a folder\n");
  const file = await publish(repo, env, "--repo-dir", site);
  assert.equal(file.code, 5, file.stderr);
  assert.match(file.stderr, /--repo-dir .*site-file is a file, not a chart repository folder/);
  const good = await Deno.makeTempDir({ prefix: "fastcs-site-" });
  const cases: [string[], number, RegExp][] = [
    [["--artifacts", site], 5, /--artifacts .*site-file is a file, not a folder/],
    [["--artifacts", "charts/fastcs/dist"], 5, /inside the charts or the schemas folder/],
    [["--artifacts", "schemas"], 5, /inside the charts or the schemas folder/],
    // /proc is a read-only file system, even for root.
    [["--artifacts", "/proc/fastcs-artifacts"], 6, /cannot write artifacts to \/proc\/fastcs-artifacts/],
  ];
  for (const [args, code, message] of cases) {
    const r = await publish(repo, env, "--repo-dir", good, ...args);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /please report/);
    assert.deepEqual([...Deno.readDirSync(good)], [], "nothing was published");
  }
});

Deno.test("publish --repo-dir: a damaged package is named (exit 8); an unindexed one is indexed on rerun", async () => {
  const env = await envFor("helm4");
  const repo = await createTestRepo();
  await repo.git("tag", "v1.0.0");
  const site = await Deno.makeTempDir({ prefix: "fastcs-site-" });
  await Deno.writeTextFile(join(site, "fastcs-1.0.0.tgz"), "not a gzip file");
  const damaged = await publish(repo, env, "--repo-dir", site);
  assert.equal(damaged.code, 8, damaged.stderr);
  assert.match(
    damaged.stderr,
    /fastcs-1\.0\.0\.tgz in the chart repository folder is not a readable chart package/,
  );
  assert.match(damaged.stderr, /^hint: Nothing was pushed/m);
  await Deno.remove(join(site, "fastcs-1.0.0.tgz"));
  // A run that died after copying the package and before writing index.yaml.
  const first = await publish(repo, env, "--repo-dir", site);
  assert.equal(first.code, 0, first.stderr);
  await Deno.remove(join(site, "index.yaml"));
  const rerun = await publish(repo, env, "--repo-dir", site);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /fastcs +1\.0\.0 .* pushed/);
  assert.match(await Deno.readTextFile(join(site, "index.yaml")), /version: 1\.0\.0/);
  const third = await publish(repo, env, "--repo-dir", site);
  assert.match(third.stdout, /already published/);
});

Deno.test("publish: Ctrl+C during the pushes ends with the summary, exit 130, no scratch folder left", async () => {
  const env = await envFor("helm4");
  const repo = await createTestRepo(30);
  const site = await Deno.makeTempDir({ prefix: "fastcs-site-" });
  const tmp = await Deno.makeTempDir({ prefix: "fastcs-tmp-" });
  const watcher = Deno.watchFs(site);
  const child = spawnCli(["publish", "--repo-dir", site, "--concurrency", "1"], {
    cwd: repo.dir,
    env: { ...env, TMPDIR: tmp },
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
  assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "the scratch folder is removed");
  const leftovers = (await run("find", [site, "-name", "*.tmp"])).stdout.trim();
  assert.equal(leftovers, "");
});

Deno.test("publish: a tag on HEAD that is no SemVer release is said, not silently ignored; --tag-prefix accepts it", async () => {
  const env = await envFor("helm4");
  const repo = await createTestRepo();
  await repo.git("tag", "diracx-1.1.6");
  const site = await Deno.makeTempDir({ prefix: "fastcs-site-" });
  const dev = await publish(repo, env, "--repo-dir", site, "--dry-run");
  assert.equal(dev.code, 0, dev.stderr);
  assert.match(
    dev.stderr,
    /HEAD carries diracx-1\.1\.6, which is no SemVer release tag: publishing an untagged \(dev\) build/,
  );
  assert.match(dev.stdout, /fastcs +0\.1\.0-/);
  const tagged = await publish(repo, env, "--repo-dir", site, "--tag-prefix", "diracx-");
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.match(tagged.stdout, /fastcs +1\.1\.6 .* pushed/);
});
