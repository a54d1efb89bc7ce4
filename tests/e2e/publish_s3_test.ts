// helm fastcs publish --s3 against a real S3 server (versitygw 1.8.0 with a POSIX backend, built by
// scripts/setup-s3.sh), real git repositories and the real Helm 3 and 4: the helm-s3 layout (packages and
// index.yaml under one prefix), never overwriting a published version, indexing what a dead run left,
// credential and address failures, and a plain `helm repo add` of the bucket over HTTP.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, spawnCli } from "../helpers.ts";
import { createTestRepo, type TestRepo } from "../support/git_repo.ts";
import { envFor, publish } from "../support/publish.ts";
import { startS3, type TestS3 } from "../support/s3.ts";

const BUCKET = "fastcs-charts";
const REPO_URL = `s3://${BUCKET}/charts`;

/** index.yaml as versitygw stores it: chart -> versions, and each version's urls and digest. */
async function indexOf(
  s3: TestS3,
): Promise<Record<string, { version: string; urls: string[]; digest: string }[]>> {
  const { parseDocument } = await import("../../src/deps/yaml.ts");
  const text = await Deno.readTextFile(join(s3.dir, BUCKET, "charts", "index.yaml"));
  return (parseDocument(text).toJS() as { entries: Record<string, never[]> }).entries;
}

/** The versions index.yaml lists for `chart`, sorted. */
async function indexed(s3: TestS3, chart = "fastcs"): Promise<string[]> {
  return ((await indexOf(s3))[chart] ?? []).map((e) => e.version).sort();
}

/** The dev version publish gives HEAD: `0.1.0-<short hash>` (g-prefixed when the hash is all digits). */
async function devVersionOf(repo: TestRepo): Promise<string> {
  const hash = await repo.git("rev-parse", "--short", "HEAD");
  return `0.1.0-${/^0\d*$/.test(hash) ? "g" : ""}${hash}`;
}

for (const helm of ["helm3", "helm4"] as const) {
  Deno.test(`${helm}: S3 dev build and tag, rerun, a changed chart under a published version, helm repo add over HTTP`, async () => {
    await using s3 = await startS3();
    await s3.createBucket(BUCKET, { publicRead: true });
    const env = { ...(await envFor(helm)), ...s3.env };
    const repo = await createTestRepo();
    const devVersion = await devVersionOf(repo);
    const dev = await publish(repo, env, "--s3", `${REPO_URL}/`, "--s3-endpoint", s3.endpoint);
    assert.equal(dev.code, 0, dev.stderr);
    const devRe = devVersion.replaceAll(".", "\\.");
    assert.match(
      dev.stdout,
      new RegExp(`fastcs +${devRe} +${REPO_URL}/fastcs-${devRe}\\.tgz +sha256:\\w+ +pushed`),
    );

    // The endpoint from the environment this time, as AWS's tools read it.
    await repo.git("tag", "v1.2.3");
    const tagged = await publish(
      repo,
      { ...env, AWS_ENDPOINT_URL_S3: s3.endpoint },
      "--s3",
      REPO_URL,
      "-o",
      "json",
    );
    assert.equal(tagged.code, 0, tagged.stderr);
    const result = JSON.parse(tagged.stdout).results[0];
    assert.deepEqual([result.reference, result.status], [`${REPO_URL}/fastcs-1.2.3.tgz`, "pushed"]);
    const objects = await s3.objects(BUCKET);
    assert.deepEqual(
      Object.keys(objects),
      [
        "charts/fastcs-1.2.3.tgz",
        `charts/fastcs-${devVersion}.tgz`,
        "charts/index.yaml",
      ].sort((a, b) => a.localeCompare(b)),
    );
    assert.equal(result.digest, `sha256:${objects["charts/fastcs-1.2.3.tgz"]}`);
    // Relative URLs: helm-s3 and plain HTTP(S) clients both resolve them against the repository's address.
    const entries = (await indexOf(s3)).fastcs;
    assert.deepEqual(
      entries.map((e) => e.urls).sort(),
      [[`fastcs-${devVersion}.tgz`], ["fastcs-1.2.3.tgz"]].sort(),
    );
    assert.equal(entries.find((e) => e.version === "1.2.3")?.digest, objects["charts/fastcs-1.2.3.tgz"]);

    const again = await publish(repo, env, "--s3", REPO_URL, "--s3-endpoint", s3.endpoint);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /fastcs +1\.2\.3 .* already published/);
    assert.deepEqual(await s3.objects(BUCKET), objects, "a rerun writes nothing");

    await repo.write("charts/fastcs/templates/extra.yaml", "# a change\n");
    await repo.commit("change");
    const taken = await publish(repo, env, "--s3", REPO_URL, "--s3-endpoint", s3.endpoint, "--tag", "1.2.3");
    assert.equal(taken.code, 8, taken.stderr);
    assert.match(
      taken.stderr,
      /s3:\/\/fastcs-charts\/charts\/fastcs-1\.2\.3\.tgz: version 1\.2\.3 is already published with other content/,
    );
    assert.match(taken.stderr, /nothing was pushed/);
    assert.deepEqual(await s3.objects(BUCKET), objects, "nothing was overwritten");

    // The bucket as a plain chart repository over HTTP (path-style, anonymous reads by bucket policy).
    const helmRun = (...args: string[]) => run(env.HELM_BIN, args, { env });
    const add = await helmRun("repo", "add", "fastcs-s3", `${s3.endpoint}/${BUCKET}/charts`);
    assert.equal(add.code, 0, add.stderr);
    const search = await helmRun("search", "repo", "fastcs-s3/fastcs", "--versions", "--devel", "-o", "json");
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual(
      JSON.parse(search.stdout).map((e: { version: string }) => e.version).sort(),
      [
        devVersion,
        "1.2.3",
      ].sort(),
    );
    const dest = await Deno.makeTempDir({ prefix: "fastcs-pull-" });
    const pull = await helmRun("pull", "fastcs-s3/fastcs", "--version", "1.2.3", "--destination", dest);
    assert.equal(pull.code, 0, pull.stderr);
    await Deno.remove(dest, { recursive: true });
  });
}

Deno.test("S3: a package uploaded but not indexed is indexed on rerun, its bytes untouched; dry run; --force", async () => {
  await using s3 = await startS3({ region: "eu-test-1" });
  await s3.createBucket(BUCKET);
  // Credentials and region from the shared files of a profile, as a developer's machine has them.
  const aws = await Deno.makeTempDir({ prefix: "fastcs-aws-" });
  await Deno.writeTextFile(
    join(aws, "credentials"),
    `[ci]\naws_access_key_id = ${s3.accessKey}\naws_secret_access_key = ${s3.secretKey}\n`,
  );
  await Deno.writeTextFile(join(aws, "config"), "[profile ci]\nregion = eu-test-1\n");
  const env = {
    ...(await envFor("helm4")),
    AWS_PROFILE: "ci",
    AWS_SHARED_CREDENTIALS_FILE: join(aws, "credentials"),
    AWS_CONFIG_FILE: join(aws, "config"),
    AWS_ENDPOINT_URL: s3.endpoint,
  };
  const repo = await createTestRepo();
  await repo.git("tag", "1.0.0");
  assert.equal((await publish(repo, env, "--s3", REPO_URL)).code, 0);
  const firstIndex = await Deno.readTextFile(join(s3.dir, BUCKET, "charts", "index.yaml"));
  await repo.commit("next");
  await repo.git("tag", "1.1.0");

  const dry = await publish(repo, env, "--s3", REPO_URL, "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /fastcs +1\.1\.0 +s3:\/\/fastcs-charts\/charts\/fastcs-1\.1\.0\.tgz .* would push/,
  );
  assert.deepEqual(await indexed(s3), ["1.0.0"]);
  assert.deepEqual(Object.keys(await s3.objects(BUCKET)), ["charts/fastcs-1.0.0.tgz", "charts/index.yaml"]);

  assert.equal((await publish(repo, env, "--s3", REPO_URL)).code, 0);
  // A run that died after the upload, before index.yaml: the index as it was before it.
  await s3.putObject(BUCKET, "charts/index.yaml", firstIndex);
  const left = await s3.objects(BUCKET);
  assert.deepEqual(await indexed(s3), ["1.0.0"]);
  const rerun = await publish(repo, env, "--s3", REPO_URL, "-o", "json");
  assert.equal(rerun.code, 0, rerun.stderr);
  const result = JSON.parse(rerun.stdout).results[0];
  assert.deepEqual([result.version, result.status], ["1.1.0", "pushed"]);
  assert.deepEqual(await indexed(s3), ["1.0.0", "1.1.0"], "indexed, old entries kept");
  const now = await s3.objects(BUCKET);
  assert.equal(
    now["charts/fastcs-1.1.0.tgz"],
    left["charts/fastcs-1.1.0.tgz"],
    "the package was not uploaded again",
  );
  assert.equal(result.digest, `sha256:${now["charts/fastcs-1.1.0.tgz"]}`);
  const entry = (await indexOf(s3)).fastcs.find((e) => e.version === "1.1.0");
  assert.equal(entry?.digest, now["charts/fastcs-1.1.0.tgz"], "the index describes the bytes in the bucket");
  const third = await publish(repo, env, "--s3", REPO_URL);
  assert.match(third.stdout, /fastcs +1\.1\.0 .* already published/);

  // --force replaces the package it compared, and the index entry with it.
  await repo.write("charts/fastcs/templates/extra.yaml", "# a change\n");
  await repo.commit("change");
  const forced = await publish(
    repo,
    env,
    "--s3",
    REPO_URL,
    "--tag",
    "1.1.0",
    "--allow-any-branch",
    "--force",
    "-o",
    "json",
  );
  assert.equal(forced.code, 0, forced.stderr);
  const replaced = await s3.objects(BUCKET);
  assert.notEqual(replaced["charts/fastcs-1.1.0.tgz"], now["charts/fastcs-1.1.0.tgz"]);
  assert.equal(
    (await indexOf(s3)).fastcs.find((e) => e.version === "1.1.0")?.digest,
    replaced["charts/fastcs-1.1.0.tgz"],
  );
  assert.deepEqual(await indexed(s3), ["1.0.0", "1.1.0"]);
  await Deno.remove(aws, { recursive: true });
});

Deno.test("S3 failures: wrong secret, unknown key, no such bucket, no server: exit 9 with the reason, no secret shown", async () => {
  await using s3 = await startS3();
  await s3.createBucket(BUCKET);
  const base = { ...(await envFor("helm4")), ...s3.env };
  const repo = await createTestRepo();
  await repo.git("tag", "1.0.0");
  const secret = `wrong-${crypto.randomUUID()}`;
  const cases: [string, Record<string, string>, string[], RegExp, RegExp][] = [
    [
      "wrong secret",
      { AWS_SECRET_ACCESS_KEY: secret },
      ["--s3", REPO_URL],
      /reading s3:\/\/fastcs-charts\/charts\/index\.yaml: SignatureDoesNotMatch/,
      new RegExp(`refused the credentials tried: the access key ID ending in ${s3.accessKey.slice(-4)}`),
    ],
    [
      "unknown access key",
      { AWS_ACCESS_KEY_ID: "AKIANOSUCHKEY0000000", AWS_SECRET_ACCESS_KEY: secret },
      ["--s3", REPO_URL],
      /reading s3:\/\/fastcs-charts\/charts\/index\.yaml: XAdminUserNotFound/,
      /refused the credentials tried: the access key ID ending in 0000 from AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, signing for region us-east-1\./,
    ],
    [
      "a session token the server does not know",
      { AWS_SESSION_TOKEN: secret },
      ["--s3", REPO_URL],
      /reading s3:\/\/fastcs-charts\/charts\/index\.yaml: InvalidToken/,
      /refused the credentials tried: .* from AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY\/AWS_SESSION_TOKEN/,
    ],
    [
      "no credentials at all",
      {
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_CONFIG_FILE: "/nonexistent/config",
      },
      ["--s3", REPO_URL],
      /reading s3:\/\/fastcs-charts\/charts\/index\.yaml: .*credentials/i,
      /profile default of \/nonexistent\/credentials and \/nonexistent\/config/,
    ],
    [
      "no such bucket",
      {},
      ["--s3", "s3://no-such-bucket/charts"],
      /reading s3:\/\/no-such-bucket\/charts\/index\.yaml: NoSuchBucket/,
      /Bucket no-such-bucket does not exist at the S3 server at http:\/\/127\.0\.0\.1:\d+/,
    ],
    [
      "no server",
      {},
      ["--s3", REPO_URL, "--s3-endpoint", "http://127.0.0.1:9", "--retries", "1"],
      /reading s3:\/\/fastcs-charts\/charts\/index\.yaml: .*ECONNREFUSED/,
      /Gave up after 2 attempt\(s\)\. Check the endpoint \(http:\/\/127\.0\.0\.1:9, from --s3-endpoint/,
    ],
  ];
  for (const [what, vars, args, message, hint] of cases) {
    const r = await publish(repo, { ...base, AWS_ENDPOINT_URL_S3: s3.endpoint, ...vars }, ...args);
    assert.equal(r.code, 9, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, `${what}: ${r.stderr}`);
    assert.match(r.stderr, hint, `${what}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret), `${what}: the secret is not shown`);
    assert.doesNotMatch(r.stderr, /please report/, what);
  }
  assert.deepEqual(await s3.objects(BUCKET), {}, "nothing was written");
  // A dry run goes on without the server, marking what it could not check.
  const dry = await publish(
    repo,
    { ...base, AWS_SECRET_ACCESS_KEY: secret },
    "--s3",
    REPO_URL,
    "--s3-endpoint",
    s3.endpoint,
    "--dry-run",
  );
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would push: not checked: reading .*SignatureDoesNotMatch/);
  const bad = await publish(repo, base, "--s3", "s3://Bad_Bucket/charts");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(
    bad.stderr,
    /"s3:\/\/Bad_Bucket\/charts" is not an S3 chart repository of the form s3:\/\/bucket\/prefix/,
  );
});

Deno.test("S3: publishes at the same time: other charts all indexed; one version with two contents, one winner", async () => {
  await using s3 = await startS3();
  await s3.createBucket(BUCKET);
  const env = { ...(await envFor("helm4")), ...s3.env, AWS_ENDPOINT_URL_S3: s3.endpoint };
  // Four repositories: two publish other charts at 1.0.0; two publish fastcs 2.0.0 with different content.
  const repos = await Promise.all([1, 2, 3, 4].map(() => createTestRepo(2)));
  for (const [i, repo] of repos.entries()) {
    if (i >= 2) {
      await repo.write("charts/fastcs/templates/which.yaml", `# repository ${i}\n`);
      await repo.commit(`content ${i}`);
    }
    await repo.git("tag", i < 2 ? "1.0.0" : "2.0.0");
  }
  const only = ["--exclude", "extra-2", "--exclude", "fastcs"];
  const runs = [
    spawnCli(["publish", "--s3", REPO_URL, ...only], { cwd: repos[0].dir, env }),
    spawnCli(["publish", "--s3", REPO_URL, "--exclude", "extra-1", "--exclude", "fastcs"], {
      cwd: repos[1].dir,
      env,
    }),
    spawnCli(["publish", "--s3", REPO_URL, "--exclude", "extra-*"], { cwd: repos[2].dir, env }),
    spawnCli(["publish", "--s3", REPO_URL, "--exclude", "extra-*"], { cwd: repos[3].dir, env }),
  ];
  const results = await Promise.all(runs.map(async (child) => {
    const [out, err] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { code: (await child.status).code, stdout: out, stderr: err };
  }));
  assert.equal(results[0].code, 0, results[0].stderr);
  assert.equal(results[1].code, 0, results[1].stderr);
  assert.deepEqual(await indexed(s3, "extra-1"), ["1.0.0"]);
  assert.deepEqual(await indexed(s3, "extra-2"), ["1.0.0"]);
  // Same version, other content: exactly one upload wins; the other run is refused (it saw the winner's
  // package at its check) or finds the conflict at its upload, and writes nothing.
  const codes = [results[2].code, results[3].code].sort();
  assert.deepEqual(codes, [0, 8], results.slice(2).map((r) => r.stdout + r.stderr).join("\n"));
  const loser = results[2].code === 8 ? results[2] : results[3];
  assert.match(loser.stdout + loser.stderr, /other content/);
  assert.deepEqual(await indexed(s3), ["2.0.0"]);
  const objects = await s3.objects(BUCKET);
  const entry = (await indexOf(s3)).fastcs[0];
  assert.equal(entry.digest, objects["charts/fastcs-2.0.0.tgz"], "the index describes the package that won");
});
