// helm fastcs publish --cosign-key: the real cosign (scripts/setup-cosign.sh) signs what the real Helm pushed
// to the real Debian docker-registry, by digest, offline (--cosign-tlog=false); the signatures are checked
// with cosign verify itself.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../support/files.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { cosignEnv, cosignKeyPair, cosignVerify } from "../support/cosign.ts";
import { envFor, publish, publishTo } from "../support/publish.ts";
import { startRegistry, type TestRegistry } from "../support/registry.ts";

interface Row {
  chart: string;
  version: string;
  status: string;
  digest?: string;
  signature?: string;
  signatureError?: string;
}

/** The one row of chart `fastcs` in a `-o json` report. */
function fastcsRow(stdout: string): Row {
  return (JSON.parse(stdout).results as Row[]).find((r) => r.chart === "fastcs")!;
}

function byDigest(registry: TestRegistry, digest: string): string {
  return `${registry.host}/charts/fastcs@${digest}`;
}

for (const helm of ["helm4", "helm3"] as const) {
  Deno.test(`${helm}: publish --cosign-key signs the pushed digest; a rerun finds it signed; a chart published unsigned is signed by a rerun`, async (t) => {
    await using registry = await startRegistry();
    await using keys = await cosignKeyPair();
    const env = { ...(await envFor(helm)), ...(await cosignEnv()), COSIGN_PASSWORD: keys.password };
    await using repo = await createTestRepo();
    const signing = ["--oci", registry.base, "--plain-http", "--cosign-key", keys.key, "--cosign-tlog=false"];

    await t.step("signed by the digest pushed, which cosign verify accepts", async () => {
      const r = await publish(repo, env, ...signing, "--tag", "1.0.0", "-o", "json");
      assert.equal(r.code, 0, r.stderr);
      const row = fastcsRow(r.stdout);
      assert.equal(row.status, "pushed");
      assert.equal(row.signature, "signed");
      assert.match(row.digest!, /^sha256:[0-9a-f]{64}$/);
      const verified = await cosignVerify(byDigest(registry, row.digest!), keys.pub);
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal(JSON.parse(verified.stdout)[0].critical.image["docker-manifest-digest"], row.digest);
      assert.ok(!(r.stdout + r.stderr).includes(keys.password), "the password is never shown");
      // The signature is a tag of the chart's repository, named after the digest.
      assert.deepEqual(await registry.tags("charts/fastcs"), [
        "1.0.0",
        `${row.digest!.replace(":", "-")}.sig`,
      ]);
    });

    if (helm === "helm3") return; // the rest is Helm-independent

    await t.step("a rerun: already published, already signed (nothing signed twice)", async () => {
      const r = await publish(repo, env, ...signing, "--tag", "1.0.0");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /fastcs +1\.0\.0 .* already published, already signed/);
    });

    await t.step("published without --cosign-key, then a rerun with it signs what is there", async () => {
      const plain = await publishTo(repo, env, registry, "2.0.0", "-o", "json");
      assert.equal(plain.code, 0, plain.stderr);
      const digest = fastcsRow(plain.stdout).digest!;
      assert.notEqual((await cosignVerify(byDigest(registry, digest), keys.pub)).code, 0);
      const r = await publish(repo, env, ...signing, "--tag", "2.0.0", "-o", "json");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        [fastcsRow(r.stdout).status, fastcsRow(r.stdout).signature, fastcsRow(r.stdout).digest],
        ["already published", "signed", digest],
      );
      assert.equal((await cosignVerify(byDigest(registry, digest), keys.pub)).code, 0);
    });

    await t.step("a signature of another key is no signature of ours: ours is added", async () => {
      await using other = await cosignKeyPair();
      const r = await publish(
        repo,
        { ...env, COSIGN_PASSWORD: other.password },
        ...signing.slice(0, 3),
        "--cosign-key",
        other.key,
        "--cosign-tlog=false",
        "--tag",
        "1.0.0",
        "-o",
        "json",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fastcsRow(r.stdout).signature, "signed");
      const digest = fastcsRow(r.stdout).digest!;
      assert.equal((await cosignVerify(byDigest(registry, digest), other.pub)).code, 0);
      assert.equal((await cosignVerify(byDigest(registry, digest), keys.pub)).code, 0);
    });

    await t.step("a dry run proves the key, signs nothing and says what it would sign", async () => {
      const r = await publish(repo, env, ...signing, "--tag", "3.0.0", "--dry-run");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /fastcs +3\.0\.0 .* would push, would sign/);
      assert.deepEqual(await registry.tags("charts/fastcs").then((t) => t.includes("3.0.0")), false);
    });
  });
}

Deno.test("publish --cosign-key: a wrong, missing or unreadable key fails before anything is pushed, never showing the password", async (t) => {
  await using registry = await startRegistry();
  await using keys = await cosignKeyPair("the-right-password");
  const env = { ...(await envFor("helm4")), ...(await cosignEnv()) };
  await using repo = await createTestRepo();
  const args = ["--oci", registry.base, "--plain-http", "--tag", "1.0.0", "--cosign-tlog=false"];

  await t.step(
    "a wrong password in COSIGN_PASSWORD: exit 6, the key and the password's source named",
    async () => {
      const r = await publish(
        repo,
        { ...env, COSIGN_PASSWORD: "not-the-password" },
        ...args,
        "--cosign-key",
        keys.key,
      );
      assert.equal(r.code, 6, r.stderr);
      assert.match(
        r.stderr,
        /the password of cosign key .*cosign\.key is wrong \(it came from COSIGN_PASSWORD\)/,
      );
      assert.match(r.stderr, /Nothing was pushed/);
      assert.ok(!(r.stdout + r.stderr).includes("not-the-password"));
      assert.deepEqual(await registry.tags("charts/fastcs"), []);
    },
  );

  await t.step("a wrong password in --cosign-password-file: named by the file", async () => {
    await using folder = await tempDir();
    const file = join(folder.path, "pw");
    await Deno.writeTextFile(file, "also-wrong\n");
    const r = await publish(
      repo,
      { ...env, COSIGN_PASSWORD: "the-right-password" },
      ...args,
      "--cosign-key",
      keys.key,
      "--cosign-password-file",
      file,
    );
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /it came from --cosign-password-file .*pw\)/);
    assert.ok(!(r.stdout + r.stderr).includes("also-wrong"));
    // The right one in the file (with the line break an editor leaves) signs.
    await Deno.writeTextFile(file, "the-right-password\n");
    const right = await publish(repo, env, ...args, "--cosign-key", keys.key, "--cosign-password-file", file);
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /pushed, signed/);
  });

  await t.step("no password at all (and no terminal): exit 6, saying where to put it", async () => {
    const r = await publish(repo, env, ...args, "--tag", "1.0.1", "--cosign-key", keys.key);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /no password for cosign key/);
    assert.match(r.stderr, /Set COSIGN_PASSWORD/);
  });

  await t.step("a key that is not there: exit 5", async () => {
    const r = await publish(
      repo,
      { ...env, COSIGN_PASSWORD: "x" },
      ...args,
      "--tag",
      "1.0.2",
      "--cosign-key",
      "no/such.key",
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /cannot read cosign key .*no\/such\.key/);
  });

  await t.step("a cosign that is not there: exit 6, naming HELM_FASTCS_COSIGN", async () => {
    const r = await publish(
      repo,
      { ...env, COSIGN_PASSWORD: "x", HELM_FASTCS_COSIGN: "/no/such/cosign" },
      ...args,
      "--tag",
      "1.0.3",
      "--cosign-key",
      keys.key,
    );
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /cannot run cosign \(\/no\/such\/cosign\)/);
    assert.match(r.stderr, /HELM_FASTCS_COSIGN/);
  });
  assert.deepEqual(await registry.tags("charts/fastcs").then((t) => t.filter((x) => !x.endsWith(".sig"))), [
    "1.0.0",
  ]);
});

Deno.test("publish --cosign-key: a signing that fails after the push says 'not signed' (exit 9); a rerun signs", async () => {
  await using registry = await startRegistry();
  await using keys = await cosignKeyPair();
  const env = { ...(await envFor("helm4")), ...(await cosignEnv()), COSIGN_PASSWORD: keys.password };
  await using repo = await createTestRepo();
  const args = ["--oci", registry.base, "--plain-http", "--tag", "1.0.0", "--cosign-key", keys.key];
  // The transparency log cannot be reached (cosignEnv's dead proxy): cosign's default upload fails.
  const r = await publish(repo, env, ...args, "-o", "json");
  assert.equal(r.code, 9, r.stderr);
  const row = fastcsRow(r.stdout);
  assert.deepEqual([row.status, row.signature], ["pushed", "not signed"]);
  assert.match(row.signatureError!, /rekor/);
  assert.match(row.signatureError!, /--cosign-tlog=false/);
  assert.match(r.stderr, /1 chart\(s\) published but not signed/);
  assert.notEqual((await cosignVerify(byDigest(registry, row.digest!), keys.pub)).code, 0);
  const rerun = await publish(repo, env, ...args, "--cosign-tlog=false", "-o", "json");
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(
    [fastcsRow(rerun.stdout).status, fastcsRow(rerun.stdout).signature],
    ["already published", "signed"],
  );
  assert.equal((await cosignVerify(byDigest(registry, row.digest!), keys.pub)).code, 0);
});

Deno.test("publish --cosign-key on a registry that needs credentials: cosign signs with the login of the run", async () => {
  await using registry = await startRegistry({ auth: true });
  await using keys = await cosignKeyPair();
  const env: Record<string, string> = {
    ...(await envFor("helm4")),
    ...(await cosignEnv()),
    COSIGN_PASSWORD: keys.password,
    HELM_FASTCS_REGISTRY_PASSWORD: registry.password!,
  };
  await using repo = await createTestRepo();
  const r = await publish(
    repo,
    env,
    "--oci",
    registry.base,
    "--plain-http",
    "--registry-username",
    registry.username!,
    "--tag",
    "1.0.0",
    "--cosign-key",
    keys.key,
    "--cosign-tlog=false",
    "-o",
    "json",
  );
  assert.equal(r.code, 0, r.stderr);
  const row = fastcsRow(r.stdout);
  assert.deepEqual([row.status, row.signature], ["pushed", "signed"]);
  const login = { username: registry.username!, password: registry.password! };
  const verified = await cosignVerify(byDigest(registry, row.digest!), keys.pub, login);
  assert.equal(verified.code, 0, verified.stderr);
  // Without credentials cosign is refused: the signature really sits behind the login.
  assert.match((await cosignVerify(byDigest(registry, row.digest!), keys.pub)).stderr, /UNAUTHORIZED/);
  assert.ok(!(r.stdout + r.stderr).includes(registry.password!));
  // A login kept in Helm's own registry config (HELM_REGISTRY_CONFIG, here not named config.json) works too.
  const helmLogin = new Deno.Command(env.HELM_BIN, {
    args: [
      "registry",
      "login",
      registry.host,
      "--username",
      login.username,
      "--password-stdin",
      "--plain-http",
    ],
    env,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = helmLogin.stdin.getWriter();
  await writer.write(new TextEncoder().encode(login.password));
  await writer.close();
  assert.equal((await helmLogin.output()).code, 0);
  const kept = await publish(
    repo,
    { ...env, HELM_FASTCS_REGISTRY_PASSWORD: "" },
    "--oci",
    registry.base,
    "--plain-http",
    "--tag",
    "1.0.1",
    "--cosign-key",
    keys.key,
    "--cosign-tlog=false",
    "-o",
    "json",
  );
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal(fastcsRow(kept.stdout).signature, "signed");
  assert.equal(
    (await cosignVerify(byDigest(registry, fastcsRow(kept.stdout).digest!), keys.pub, login)).code,
    0,
  );
});

Deno.test("publish --cosign-key with only a repository folder is a usage error", async () => {
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const r = await publish(repo, env, "--repo-dir", join(repo.dir, "out"), "--cosign-key", "cosign.key");
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--cosign-key signs charts pushed to OCI registries/);
});
