// The cosign adapter over a recording runner: the argv of each command (transport flags, the transparency
// log choice, by digest only), the key's password and the registry credentials in the environment and never
// in argv, `cosign verify`'s output parsed, and failures classified from what cosign v2.6.5 prints.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode, type FastcsError } from "../runtime/errors.ts";
import { recordingRunner, type Reply } from "../runtime/recording_runner.ts";
import {
  classifyCosignFailure,
  type CosignFailure,
  createCosign,
  digestReference,
  dockerConfigFor,
  keyReference,
} from "./cosign.ts";

// Outputs below were captured from cosign v2.6.5 (scripts/setup-cosign.sh) against Debian's docker-registry
// on 127.0.0.1:45123 (plain HTTP) and 127.0.0.1:45124 (htpasswd), offline.

const cwd = "/work/repo";
const DIGEST = "sha256:c2395d2042f42761e3a2dda546fb69a8ab24f7a0a8191bc0d6bb9d4fe31e0f6a";
const REF = `127.0.0.1:45123/charts/fastcs@${DIGEST}`;
const TUF_WARNING =
  'WARNING: Could not fetch trusted_root.json from the TUF repository. Continuing with individual targets. Error from TUF: error getting live trusted root: failed to create TUF client failed to load metadata: tuf refresh failed: Get "https://tuf-repo-cdn.sigstore.dev/14.root.json": dial tcp: lookup tuf-repo-cdn.sigstore.dev on 10.255.255.53:53: no such host\n';
const IGNORE_TLOG_WARNING =
  "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n";

/** cosign's two error lines: `Error: X` and `error during command execution: X`. */
const failed = (message: string) => `Error: ${message}\nerror during command execution: ${message}\n`;

const VERIFIED_STDOUT = "\n" +
  `[{"critical":{"identity":{"docker-reference":"127.0.0.1:45123/charts/fastcs"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}]\n`;
const VERIFIED_STDERR = IGNORE_TLOG_WARNING + TUF_WARNING + "\n" +
  `Verification for ${REF} --\n` +
  "The following checks were performed on each of these signatures:\n" +
  "  - The cosign claims were validated\n" +
  "  - The signatures were verified against the specified public key\n";

const cosignWith = (script: Reply[], env = {}) => {
  const runner = recordingRunner(script);
  return { runner, cosign: createCosign(runner.run, "/opt/cosign", cwd, env) };
};

Deno.test("sign: by digest, --yes, the transparency log as chosen, transport flags; the password only in COSIGN_PASSWORD", async () => {
  const { runner, cosign } = cosignWith([{
    cmd: "/opt/cosign",
    match: ["sign"],
    result: { stderr: "Pushing signature to: 127.0.0.1:45123/charts/fastcs\n" },
  }], { password: "s3cret pass", dockerConfig: "/tmp/scratch/registry" });
  const offline = await cosign.sign(REF, "/keys/cosign.key", { transport: { plainHttp: true }, tlog: false });
  assert.equal(offline.failure, undefined);
  await cosign.sign(REF, "awskms:///alias/charts", {
    transport: { insecureSkipTlsVerify: true, caFile: "/ca.pem" },
    tlog: true,
  });
  assert.deepEqual(runner.argvs(), [
    [
      "/opt/cosign",
      "sign",
      "--key",
      "/keys/cosign.key",
      "--yes",
      "--tlog-upload=false",
      "--allow-http-registry",
      REF,
    ],
    [
      "/opt/cosign",
      "sign",
      "--key",
      "awskms:///alias/charts",
      "--yes",
      "--allow-insecure-registry",
      "--registry-cacert",
      "/ca.pem",
      REF,
    ],
  ]);
  for (const call of runner.calls) {
    assert.deepEqual(call.options, {
      cwd,
      env: { DOCKER_CONFIG: "/tmp/scratch/registry", COSIGN_PASSWORD: "s3cret pass" },
    });
    assert.ok(!call.shown.includes("s3cret"), call.shown);
    assert.ok(!call.args.some((a) => a.includes("s3cret")));
  }
});

Deno.test("sign and verify take references by digest only: a tag can move", async () => {
  const { runner, cosign } = cosignWith([{}]);
  const options = { transport: {}, tlog: false };
  await assert.rejects(
    cosign.sign("127.0.0.1:45123/charts/fastcs:1.0.0", "k", options),
    /no reference by digest/,
  );
  await assert.rejects(
    cosign.verify("127.0.0.1:45123/charts/fastcs", "k.pub", options),
    /no reference by digest/,
  );
  await assert.rejects(cosign.sign(`${REF}0`, "k", options), /no reference by digest/);
  assert.equal(runner.calls.length, 0);
  assert.equal(digestReference("oci://127.0.0.1:45123/charts", "fastcs", DIGEST), REF);
});

Deno.test("verify: the payloads of the signatures of that digest; no password is handed over", async () => {
  const { runner, cosign } = cosignWith([{
    match: ["verify"],
    result: { stdout: VERIFIED_STDOUT, stderr: VERIFIED_STDERR },
  }], { password: "s3cret", dockerConfig: "/home/u/.config/helm/registry" });
  const r = await cosign.verify(REF, "/keys/cosign.pub", { transport: { plainHttp: true }, tlog: false });
  assert.equal(r.failure, undefined);
  assert.equal(r.payloads.length, 1);
  assert.equal(r.payloads[0].critical.image["docker-manifest-digest"], DIGEST);
  assert.equal(r.payloads[0].critical.identity["docker-reference"], "127.0.0.1:45123/charts/fastcs");
  await cosign.verify(REF, "/keys/cosign.pub", { transport: {}, tlog: true });
  assert.deepEqual(runner.argvs(), [
    [
      "/opt/cosign",
      "verify",
      "--key",
      "/keys/cosign.pub",
      "--insecure-ignore-tlog=true",
      "--allow-http-registry",
      REF,
    ],
    ["/opt/cosign", "verify", "--key", "/keys/cosign.pub", REF],
  ]);
  for (const call of runner.calls) {
    assert.deepEqual(call.options.env, { DOCKER_CONFIG: "/home/u/.config/helm/registry" });
  }
});

Deno.test("verify: a success that names no signature of the digest asked for is a failure", async () => {
  const other = "sha256:" + "1".repeat(64);
  const { cosign } = cosignWith([{ result: { stdout: VERIFIED_STDOUT.replace(DIGEST, other) } }]);
  const r = await cosign.verify(REF, "k.pub", { transport: {}, tlog: false });
  assert.equal(r.failure, "other");
  assert.deepEqual(r.payloads, []);
  assert.match(r.reason, /printed no signature of sha256:c239/);
  const { cosign: garbled } = cosignWith([{ result: { stdout: "not json" } }]);
  assert.equal((await garbled.verify(REF, "k.pub", { transport: {}, tlog: false })).failure, "other");
});

Deno.test("public-key: argv, and the password handed over (it decrypts the private key)", async () => {
  const { runner, cosign } = cosignWith([{ result: { stderr: "Public key written to /s/cosign.pub\n" } }], {
    password: "",
  });
  const r = await cosign.publicKey("/keys/cosign.key", "/s/cosign.pub");
  assert.equal(r.failure, undefined);
  assert.deepEqual(runner.argvs(), [
    ["/opt/cosign", "public-key", "--key", "/keys/cosign.key", "--outfile", "/s/cosign.pub"],
  ]);
  // An empty password is a password (a key generated without one), not a missing one.
  assert.deepEqual(runner.calls[0].options.env, { COSIGN_PASSWORD: "" });
  // Without a password nothing is set: cosign then reads the caller's own COSIGN_PASSWORD, if any.
  const bare = cosignWith([{}]);
  await bare.cosign.publicKey("/keys/cosign.key", "/s/cosign.pub");
  assert.deepEqual(bare.runner.calls[0].options.env, {});
});

Deno.test("failures are classified from cosign v2.6.5's exit codes and messages; the reason is its Error: line", async () => {
  const cases: [number, string, CosignFailure, string][] = [
    [
      10,
      IGNORE_TLOG_WARNING + TUF_WARNING + failed("no signatures found"),
      "no signature",
      "no signatures found",
    ],
    [
      12,
      IGNORE_TLOG_WARNING + TUF_WARNING +
      failed("no matching signatures: invalid signature when validating ASN.1 encoded signature"),
      "bad signature",
      "no matching signatures: invalid signature when validating ASN.1 encoded signature",
    ],
    [
      1,
      failed("decrypt: encrypted: decryption failed"),
      "bad password",
      "decrypt: encrypted: decryption failed",
    ],
    [
      1,
      failed(
        `signing [${REF}]: signing digest: getting signer: reading key: decrypt: encrypted: decryption failed`,
      ),
      "bad password",
      `signing [${REF}]: signing digest: getting signer: reading key: decrypt: encrypted: decryption failed`,
    ],
    [
      1,
      "Enter password for private key: " +
      failed(`signing [${REF}]: signing digest: getting signer: reading key: inappropriate ioctl for device`),
      "no password",
      `signing [${REF}]: signing digest: getting signer: reading key: inappropriate ioctl for device`,
    ],
    [
      1,
      failed("open nope.key: no such file or directory"),
      "bad key",
      "open nope.key: no such file or directory",
    ],
    [1, failed("unsupported pem type: PUBLIC KEY"), "bad key", "unsupported pem type: PUBLIC KEY"],
    [
      1,
      failed("loading public key: open nokey.pub: no such file or directory"),
      "bad key",
      "loading public key: open nokey.pub: no such file or directory",
    ],
    [
      1,
      failed("loading public key: pem to public key: PEM decoding failed"),
      "bad key",
      "loading public key: pem to public key: PEM decoding failed",
    ],
    [
      1,
      failed(
        `signing [${REF}]: signing digest: Post "https://rekor.sigstore.dev/api/v1/log/entries": POST https://rekor.sigstore.dev/api/v1/log/entries giving up after 4 attempt(s): Post "https://rekor.sigstore.dev/api/v1/log/entries": dial tcp: lookup rekor.sigstore.dev on 10.255.255.53:53: no such host`,
      ),
      "tlog unreachable",
      `signing [${REF}]: signing digest: Post "https://rekor.sigstore.dev/api/v1/log/entries": POST https://rekor.sigstore.dev/api/v1/log/entries giving up after 4 attempt(s): Post "https://rekor.sigstore.dev/api/v1/log/entries": dial tcp: lookup rekor.sigstore.dev on 10.255.255.53:53: no such host`,
    ],
    [
      1,
      TUF_WARNING +
      failed(
        'getting Rekor public keys: updating local metadata and targets: error updating to TUF remote mirror: tuf: failed to download 13.root.json: Get "https://tuf-repo-cdn.sigstore.dev/13.root.json": dial tcp: lookup tuf-repo-cdn.sigstore.dev on 10.255.255.53:53: no such host',
      ),
      "tlog unreachable",
      'getting Rekor public keys: updating local metadata and targets: error updating to TUF remote mirror: tuf: failed to download 13.root.json: Get "https://tuf-repo-cdn.sigstore.dev/13.root.json": dial tcp: lookup tuf-repo-cdn.sigstore.dev on 10.255.255.53:53: no such host',
    ],
    [
      1,
      failed(
        'Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused; Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
      ),
      "unreachable",
      'Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused; Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
    ],
    [
      1,
      failed(
        `signing [127.0.0.1:45124/charts/fastcs@${DIGEST}]: accessing image: GET http://127.0.0.1:45124/v2/charts/fastcs/manifests/${DIGEST}: UNAUTHORIZED: authentication required; [map[Action:pull Class: Name:charts/fastcs Type:repository]]`,
      ),
      "unauthorized",
      `signing [127.0.0.1:45124/charts/fastcs@${DIGEST}]: accessing image: GET http://127.0.0.1:45124/v2/charts/fastcs/manifests/${DIGEST}: UNAUTHORIZED: authentication required; [map[Action:pull Class: Name:charts/fastcs Type:repository]]`,
    ],
    [1, failed("something unheard of"), "other", "something unheard of"],
  ];
  for (const [code, stderr, failure, reason] of cases) {
    assert.equal(classifyCosignFailure(code, stderr), failure, stderr);
    const { cosign } = cosignWith([{ result: { code, stderr } }]);
    const r = await cosign.sign(REF, "k", { transport: {}, tlog: false });
    assert.deepEqual([r.failure, r.reason], [failure, reason]);
  }
});

Deno.test("a cosign that cannot be started is an environment error naming the executable and HELM_FASTCS_COSIGN", async () => {
  const { cosign } = cosignWith([{
    result: { code: 127, stderr: "/opt/cosign: No such file or directory (os error 2)" },
  }]);
  await assert.rejects(cosign.publicKey("k", "o"), (e: FastcsError) => {
    assert.equal(e.code, "cosign.missing");
    assert.equal(e.exitCode, ExitCode.environment);
    assert.match(e.message, /^cannot run cosign \(\/opt\/cosign\): \/opt\/cosign: No such file/);
    assert.match(e.hint!, /HELM_FASTCS_COSIGN/);
    return true;
  });
});

Deno.test("keys: a KMS URI is cosign's, a path is resolved against the working directory", () => {
  assert.equal(keyReference("cosign.key", "/work/repo"), "/work/repo/cosign.key");
  assert.equal(keyReference("/abs/cosign.pub", "/work/repo"), "/abs/cosign.pub");
  for (
    const uri of ["awskms:///alias/charts", "gcpkms://projects/p/locations/l/keyRings/r", "k8s://ns/secret"]
  ) {
    assert.equal(keyReference(uri, "/work/repo"), uri);
  }
});

Deno.test("registry credentials: Helm's registry config as a docker config folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-docker-config-" });
  try {
    const auths = '{"auths":{"127.0.0.1:45124":{"auth":"Y2k6c2VjcmV0cHc="}}}';
    // Helm's default file is already named config.json: its folder is used as it is.
    await Deno.mkdir(join(dir, "registry"));
    await Deno.writeTextFile(join(dir, "registry", "config.json"), auths);
    assert.equal(await dockerConfigFor(join(dir, "registry", "config.json"), dir), join(dir, "registry"));
    // Another name (HELM_REGISTRY_CONFIG=…/registry.json): copied as config.json into the scratch folder.
    await Deno.writeTextFile(join(dir, "registry.json"), auths);
    const copied = await dockerConfigFor(join(dir, "registry.json"), join(dir, "scratch"));
    assert.equal(copied, join(dir, "scratch", "cosign-docker"));
    assert.equal(await Deno.readTextFile(join(copied!, "config.json")), auths);
    // No file: cosign reads Docker's own config, as Helm falls back to it.
    assert.equal(await dockerConfigFor(join(dir, "none.json"), dir), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
