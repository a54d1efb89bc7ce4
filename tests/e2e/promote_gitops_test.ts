// helm fastcs promote in GitOps mode on a real git repository: environments are folders of umbrella
// charts; no cluster is involved.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, run } from "../helpers.ts";
import { type TempDir, tempRepo } from "../support/files.ts";

const identity = ["-c", "user.email=test@example.org", "-c", "user.name=test"];

async function servicesRepo(): Promise<TempDir> {
  const chart = (version: string) =>
    `apiVersion: v2\nname: ioc\nversion: 1.0.0\ndependencies:\n  # the generic chart\n  - name: fastcs\n    version: ${version} # pinned\n    repository: oci://ghcr.io/example/charts\n`;
  const repo = await tempRepo({
    "fastcs.yaml":
      "environments:\n  staging: {path: environments/staging}\n  prod: {path: environments/prod}\n",
    "environments/staging/ioc/Chart.yaml": chart("1.1.0"),
    "environments/staging/ioc/values.yaml":
      "fastcs:\n  image:\n    tag: 2.1.0\n  editable: true # staging only\n",
    "environments/prod/ioc/Chart.yaml": chart("1.0.0"),
    "environments/prod/ioc/values.yaml":
      "# prod values of the ioc\nfastcs:\n  image:\n    tag: 2.0.0 # the released image\n  hostNetwork: true\n",
  }, "fastcs-services-");
  await run("git", ["-C", repo.path, "symbolic-ref", "HEAD", "refs/heads/main"]);
  await run("git", [...identity, "-C", repo.path, "add", "-A"]);
  await run("git", [...identity, "-C", repo.path, "commit", "-q", "-m", "initial"]);
  return repo;
}

Deno.test("GitOps promotion rewrites versions and promoted keys only, keeps comments, diffs, commits", async () => {
  await using repo = await servicesRepo();
  const dir = repo.path;
  const env = {
    GIT_AUTHOR_NAME: "test",
    GIT_AUTHOR_EMAIL: "t@example.org",
    GIT_COMMITTER_NAME: "test",
    GIT_COMMITTER_EMAIL: "t@example.org",
    PATH: Deno.env.get("PATH")!,
  };
  const diff = await cli(["promote", "staging", "prod", "--diff-only"], { cwd: dir, env });
  assert.equal(diff.code, 10, diff.stderr);
  assert.match(diff.stdout, /staging\/ioc -> prod\/ioc: fastcs 1\.0\.0 -> 1\.1\.0, fastcs\.image\.tag/);
  assert.match(diff.stdout, /- {4}version: 1\.0\.0 # pinned\n\+ {4}version: 1\.1\.0 # pinned/);
  assert.match(
    diff.stdout,
    /- {4}tag: 2\.0\.0 # the released image\n\+ {4}tag: 2\.1\.0 # the released image/,
  );
  assert.equal(
    (await run("git", ["-C", dir, "status", "--porcelain"])).stdout,
    "",
    "--diff-only writes nothing",
  );

  const r = await cli(["promote", "staging", "prod", "--commit"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const values = await Deno.readTextFile(join(dir, "environments/prod/ioc/values.yaml"));
  assert.equal(
    values,
    "# prod values of the ioc\nfastcs:\n  image:\n    tag: 2.1.0 # the released image\n  hostNetwork: true\n",
  );
  assert.match(
    await Deno.readTextFile(join(dir, "environments/prod/ioc/Chart.yaml")),
    / {2}# the generic chart\n {2}- name: fastcs\n {4}version: 1\.1\.0 # pinned/,
  );
  const log = await run("git", ["-C", dir, "log", "-1", "--format=%B"]);
  assert.match(
    log.stdout,
    /^Promote ioc from staging to prod\n\n- ioc: fastcs 1\.0\.0 -> 1\.1\.0, fastcs\.image\.tag from staging/,
  );
  assert.equal((await run("git", ["-C", dir, "status", "--porcelain"])).stdout, "");

  const again = await cli(["promote", "staging", "prod"], { cwd: dir, env });
  assert.equal(again.code, 0);
  assert.match(again.stderr, /no changes: prod already matches staging/);
  const missing = await cli(["promote", "staging", "prod", "other"], { cwd: dir, env });
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /is not a service folder/);
});

Deno.test("GitOps promotion of a group: its service folders; a selector does not apply there", async () => {
  await using repo = await servicesRepo();
  const dir = repo.path;
  await Deno.writeTextFile(join(dir, "fastcs.yaml"), "groups: {core: [ioc], empty-here: [nope]}\n", {
    append: true,
  });
  const group = await cli(["promote", "staging", "prod", "--group", "core", "--diff-only"], { cwd: dir });
  assert.equal(group.code, 10, group.stderr);
  assert.match(group.stdout, /staging\/ioc -> prod\/ioc: fastcs 1\.0\.0 -> 1\.1\.0, fastcs\.image\.tag/);
  const missing = await cli(["promote", "staging", "prod", "--group", "empty-here", "--diff-only"], {
    cwd: dir,
  });
  assert.equal(missing.code, 5, missing.stderr);
  assert.match(missing.stderr, /nope/);
  const selector = await cli(["promote", "staging", "prod", "-l", "team=core", "--diff-only"], { cwd: dir });
  assert.equal(selector.code, 2, selector.stderr);
  assert.match(selector.stderr, /--selector matches release labels; GitOps folders have none/);
});
