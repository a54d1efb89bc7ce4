// publish --cosign-key's signing step over the cosign adapter and a recording runner: what is signed (by
// digest, OCI targets only), what is looked up first (charts already published), what a dry run and a
// failure report, and how a bad key or password stops the publish before anything is pushed.
import assert from "node:assert/strict";
import { createCosign } from "../adapters/cosign.ts";
import { pLimit } from "../deps/concurrency.ts";
import type { Context } from "../runtime/context.ts";
import { ExitCode, type FastcsError } from "../runtime/errors.ts";
import { readHelmEnv } from "../runtime/helm_env.ts";
import { createLog } from "../runtime/log.ts";
import { recordingRunner, type Reply } from "../runtime/recording_runner.ts";
import type { CosignSigning, PublishResult } from "./model.ts";
import { checkSigningKey, signPublished } from "./signing.ts";
import type { Target } from "./targets.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const oci: Target = { kind: "oci", base: "oci://127.0.0.1:5000/charts", transport: { plainHttp: true } };
const repo: Target = { kind: "repo", dir: "/srv/charts" };
const signing: CosignSigning = {
  key: "/keys/cosign.key",
  password: "hunter2-secret",
  tlog: false,
  registryConfig: "/r.json",
};

const row = (chart: string, status: PublishResult["status"], digest?: string): PublishResult => ({
  chart,
  version: "1.0.0",
  appVersion: "1.0.0",
  reference: `oci://127.0.0.1:5000/charts/${chart}:1.0.0`,
  contentDigest: "sha256:content",
  status,
  digest,
});

const cosignWith = (script: Reply[]) => {
  const runner = recordingRunner(script);
  return { runner, cosign: createCosign(runner.run, "cosign", "/work", { password: signing.password }) };
};

Deno.test("pushed charts are signed by digest; published ones only when this key's signature is missing", async () => {
  const { runner, cosign } = cosignWith([
    // app (already published) carries our signature; base (already published) none yet.
    {
      match: (c) => c.args[0] === "verify" && c.args.at(-1)!.includes("/app@"),
      result: {
        stdout:
          `[{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"${D1}"},"type":"t"},"optional":null}]`,
      },
    },
    { match: ["verify"], result: { code: 10, stderr: "Error: no signatures found\n" } },
    { match: ["sign"] },
  ]);
  const jobs = [
    { target: oci, result: row("app", "already published", D1) },
    { target: oci, result: row("base", "already published", D2) },
    { target: oci, result: row("new", "pushed", D2) },
    { target: oci, result: row("lost", "conflict", D2) },
    { target: oci, result: row("broken", "failed") },
    { target: repo, result: row("app", "pushed", D1) },
  ];
  await signPublished(cosign, "/s/cosign.pub", jobs, signing, pLimit(1), false);
  assert.deepEqual(jobs.map((j) => j.result.signature), [
    "already signed",
    "signed",
    "signed",
    undefined,
    undefined,
    undefined,
  ]);
  assert.deepEqual(runner.argvs().map((a) => [a[1], a.at(-1)]), [
    ["verify", `127.0.0.1:5000/charts/app@${D1}`],
    ["verify", `127.0.0.1:5000/charts/base@${D2}`],
    ["sign", `127.0.0.1:5000/charts/base@${D2}`],
    ["sign", `127.0.0.1:5000/charts/new@${D2}`],
  ]);
  assert.ok(runner.calls.filter((c) => c.args[0] === "verify").every((c) => c.args[2] === "/s/cosign.pub"));
});

Deno.test("a failed signing is 'not signed' with its reason; no digest means nothing to sign; an interrupt stops it", async () => {
  const { runner, cosign } = cosignWith([{
    match: ["sign"],
    result: {
      code: 1,
      stderr:
        `Error: signing [127.0.0.1:5000/charts/new@${D2}]: signing digest: Post "https://rekor.sigstore.dev/api/v1/log/entries": dial tcp: lookup rekor.sigstore.dev: no such host\n`,
    },
  }]);
  const jobs = [
    { target: oci, result: row("new", "pushed", D2) },
    { target: oci, result: row("nodigest", "pushed") },
  ];
  await signPublished(cosign, "/s/cosign.pub", jobs, signing, pLimit(1), false);
  assert.equal(jobs[0].result.signature, "not signed");
  assert.equal(
    jobs[0].result.signatureError,
    'signing digest: Post "https://rekor.sigstore.dev/api/v1/log/entries": dial tcp: lookup rekor.sigstore.dev: no such host (the transparency log cannot be reached; for a private or offline registry sign with --cosign-tlog=false)',
  );
  assert.deepEqual(
    [jobs[1].result.signature, jobs[1].result.signatureError],
    ["not signed", "the registry reported no manifest digest to sign"],
  );
  const stopped = [{ target: oci, result: row("new", "pushed", D2) }];
  await signPublished(cosign, "/s/cosign.pub", stopped, signing, pLimit(1), false, () => true);
  assert.match(stopped[0].result.signatureError!, /interrupted before it was signed/);
  assert.equal(runner.calls.length, 1);
});

Deno.test("a dry run signs nothing: 'would sign' what would be pushed or is published unsigned", async () => {
  const { runner, cosign } = cosignWith([{
    match: ["verify"],
    result: { code: 10, stderr: "Error: no signatures found\n" },
  }]);
  const jobs = [
    { target: oci, result: row("new", "would push") },
    { target: oci, result: row("old", "already published", D1) },
  ];
  await signPublished(cosign, "/s/cosign.pub", jobs, signing, pLimit(1), true);
  assert.deepEqual(jobs.map((j) => j.result.signature), ["would sign", "would sign"]);
  assert.deepEqual(runner.argvs().map((a) => a[1]), ["verify"]);
});

function context(): Context {
  return {
    env: readHelmEnv({}),
    log: createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} }),
    cwd: "/work",
    display: (p) => p,
    interactive: false,
    confirm: () => Promise.resolve(undefined),
    run: recordingRunner().run,
    start: recordingRunner().start,
    onInterrupt: () => () => {},
  };
}

Deno.test("the key check: the public key derived, or an error naming the key and the password's source, never the password", async () => {
  const ok = cosignWith([{ match: ["public-key"] }]);
  assert.equal(await checkSigningKey(context(), ok.cosign, signing, "/s"), "/s/cosign.pub");
  const cases: [string, number, RegExp][] = [
    [
      "Error: decrypt: encrypted: decryption failed\n",
      ExitCode.environment,
      /is wrong \(it came from COSIGN_PASSWORD\)/,
    ],
    [
      "Enter password for private key: Error: reading key: inappropriate ioctl for device\n",
      ExitCode.environment,
      /no password for cosign key/,
    ],
    ["Error: open /keys/cosign.key: no such file or directory\n", ExitCode.input, /cannot read cosign key/],
  ];
  for (const [stderr, exitCode, message] of cases) {
    const { cosign } = cosignWith([{ match: ["public-key"], result: { code: 1, stderr } }]);
    await assert.rejects(checkSigningKey(context(), cosign, signing, "/s"), (e: FastcsError) => {
      assert.equal(e.exitCode, exitCode);
      assert.match(e.message, message);
      assert.match(e.hint!, /Nothing was pushed/);
      assert.ok(!`${e.message} ${e.hint}`.includes("hunter2"));
      return true;
    });
  }
  const { cosign } = cosignWith([{
    result: { code: 1, stderr: "Error: decrypt: encrypted: decryption failed\n" },
  }]);
  await assert.rejects(
    checkSigningKey(context(), cosign, { ...signing, passwordFile: "/run/secrets/cosign" }, "/s"),
    /it came from --cosign-password-file \/run\/secrets\/cosign/,
  );
});
