// helm fastcs promote --cosign-verify on the local control plane: a chart is promoted only when the digest
// Helm pulled carries a cosign signature the public key verifies; the real cosign signs and verifies
// against the real registry, offline (--cosign-tlog=false).
import assert from "node:assert/strict";
import { cli } from "../helpers.ts";
import { cosignEnv, cosignKeyPair, cosignSign } from "../support/cosign.ts";
import { tempDir, writeTree } from "../support/files.ts";
import { setUpPromotion } from "../support/promote.ts";

Deno.test("promote --cosign-verify: refuses an unsigned or wrongly signed chart (exit 8, naming chart, digest and key), promotes a signed one", async (t) => {
  await using fixture = await setUpPromotion("helm4");
  const { registry, env, dir, helm } = fixture;
  await using keys = await cosignKeyPair();
  await using other = await cosignKeyPair();
  const promote = async (...args: string[]) =>
    cli(["promote", "staging", "prod", "--plain-http", ...args], {
      cwd: dir,
      env: { ...env, ...(await cosignEnv()) },
    });
  const head = await fetch(`http://${registry.host}/v2/charts/fastcs/manifests/1.0.0`, {
    method: "HEAD",
    headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  const digest = head.headers.get("Docker-Content-Digest")!;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  const reference = `${registry.host}/charts/fastcs@${digest}`;
  const verify = ["--cosign-verify", keys.pub, "--cosign-tlog=false"];
  const prodReleases = async () =>
    (await helm("list", "-q", "--kube-context", "prod", "-n", "prod")).stdout.trim();

  await t.step(
    "unsigned: refused, saying which chart, digest and key; --force does not override",
    async () => {
      for (const extra of [["--dry-run"], ["--yes", "--force"]]) {
        const r = await promote(...verify, ...extra);
        assert.equal(r.code, 8, r.stderr);
        assert.match(r.stderr, /1 chart\(s\) carry no valid cosign signature of .*cosign\.pub/);
        assert.ok(r.stderr.includes(`fastcs 1.0.0 (${reference}): not signed`), r.stderr);
        assert.match(r.stderr, /helm fastcs publish --cosign-key/);
      }
      assert.equal(await prodReleases(), "");
    },
  );

  await t.step("signed with another key: refused, naming the key that does not verify it", async () => {
    const signed = await cosignSign(reference, other);
    assert.equal(signed.code, 0, signed.stderr);
    const r = await promote(...verify, "--dry-run");
    assert.equal(r.code, 8, r.stderr);
    assert.ok(r.stderr.includes(`fastcs 1.0.0 (${reference}): signed, but by no signature that`), r.stderr);
    assert.ok(r.stderr.includes(`${keys.pub} verifies`), r.stderr);
  });

  await t.step(
    "the transparency log asked for offline: cannot check (exit 6), pointing at --cosign-tlog=false",
    async () => {
      const r = await promote("--cosign-verify", keys.pub, "--dry-run");
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /cannot check the cosign signature of fastcs 1\.0\.0/);
      assert.match(r.stderr, /--cosign-tlog=false/);
    },
  );

  await t.step("a public key that is not there: exit 5", async () => {
    const r = await promote("--cosign-verify", "no/such.pub", "--cosign-tlog=false", "--dry-run");
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /no\/such\.pub/);
  });

  await t.step("signed with the key: the plan says so, and the promotion goes through", async () => {
    const signed = await cosignSign(reference, keys);
    assert.equal(signed.code, 0, signed.stderr);
    const dry = await promote(...verify, "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(
      dry.stdout.includes(`signed: the cosign signature of ${digest} verifies with ${keys.pub}`),
      dry.stdout,
    );
    const r = await promote(...verify, "--yes", "-o", "json");
    assert.equal(r.code, 0, r.stderr);
    const { plans, results } = JSON.parse(r.stdout);
    assert.deepEqual([plans[0].digest, plans[0].verifiedWith], [digest, keys.pub]);
    assert.equal(results[0].status, "promoted");
    assert.equal(await prodReleases(), "prod-ioc");
  });
});

Deno.test("promote --cosign-verify is refused for GitOps folders (they pull no chart)", async () => {
  await using dir = await tempDir("fastcs-gitops-");
  await writeTree(dir.path, {
    "fastcs.yaml": "environments:\n  staging: {path: envs/staging}\n  prod: {path: envs/prod}\n",
  });
  const r = await cli(["promote", "staging", "prod", "--cosign-verify", "cosign.pub"], { cwd: dir.path });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--cosign-verify checks the charts a cluster promotion pulls/);
});
