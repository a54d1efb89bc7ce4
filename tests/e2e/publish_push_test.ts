// The in-process OCI push of helm fastcs publish (the registry's distribution API instead of one `helm push`
// per chart): the manifest and config it writes are those `helm push` of Helm 3 and of Helm 4 write for the
// same package, `helm pull` (3 and 4) and `helm install` read what it pushed, it authenticates anonymously,
// with basic credentials (--registry-username, or a plain `auth` entry of Helm's registry config) and with
// bearer tokens, trusts --ca-file, and it leaves a registry that needs a credential helper, or TLS without
// verification, to `helm push`. The real Debian docker-registry, the real Helm 3.17.3 and 4.1.4, a real API
// server.
import assert from "node:assert/strict";
import { join } from "node:path";
import { run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { createTestRepo, type TestRepo } from "../support/git_repo.ts";
import { envFor, publish, publishLoggedIn, publishTo, writeRegistryAuth } from "../support/publish.ts";
import { startRegistry, type TestRegistry } from "../support/registry.ts";
import { signingKey } from "../support/signing.ts";
import { startCluster } from "../support/cluster.ts";

/** A chart that uses every field of Helm's chart metadata, characters Go escapes, and a vendored sub-chart. */
async function addRichChart(repo: TestRepo) {
  await repo.write(
    "charts/rich/Chart.yaml",
    [
      "apiVersion: v2",
      "name: rich",
      "version: 0.1.0",
      'appVersion: "a<b>&c"',
      "description: >",
      '  A chart with <html> & "quotes",',
      "  ünïcode 😀 and a folded line",
      "home: https://example.org/home",
      "icon: https://example.org/icon.png",
      "sources: [https://github.com/x/y, https://github.com/x/z]",
      "keywords: [a, b]",
      "maintainers:",
      "  - {name: Jane, email: jane@example.org, url: https://jane.example.org}",
      "  - {name: Bob}",
      'kubeVersion: ">=1.20.0-0"',
      "type: application",
      "deprecated: false",
      "annotations:",
      '  zeta: "1"',
      "  alpha: äöü",
      "  org.opencontainers.image.vendor: Acme",
      "  org.opencontainers.image.title: not-the-title",
      "  category: Infra",
      "dependencies:",
      "  - name: sub",
      "    version: 0.1.0",
      "    condition: sub.enabled",
      "    tags: [t1]",
      "    import-values: [data, {child: a, parent: b}]",
      "    alias: s",
      "",
    ].join("\n"),
  );
  await repo.write("charts/rich/values.yaml", "s:\n  enabled: true\n");
  await repo.write(
    "charts/rich/templates/cm.yaml",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-rich\ndata:\n  b: {{ .Values.b | toJson | quote }}\n",
  );
  await repo.write("charts/rich/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n");
  await repo.write("charts/rich/charts/sub/values.yaml", "a: {x: 1}\nexports:\n  data: {y: 2}\n");
  await repo.commit("a rich chart");
}

/** A manifest (as raw text) and its config blob, read from the registry's distribution API. */
async function manifestOf(registry: TestRegistry, repository: string, tag: string) {
  const headers: Record<string, string> = { Accept: "application/vnd.oci.image.manifest.v1+json" };
  if (registry.username) headers.Authorization = `Basic ${btoa(`${registry.username}:${registry.password}`)}`;
  const r = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { headers });
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const manifest = JSON.parse(text);
  const config = await fetch(`http://${registry.host}/v2/${repository}/blobs/${manifest.config.digest}`, {
    headers,
  });
  return { text, manifest, digest: r.headers.get("Docker-Content-Digest"), config: await config.text() };
}

/** The manifest's text with Helm's creation time taken out: the package's modification time, which differs
 * between the file we pushed and its copy in --artifacts (publish_push_hostile_test.ts compares it too). */
function withoutCreated(text: string): string {
  return text.replace(/"org\.opencontainers\.image\.created":"[^"]*",?/, "");
}

Deno.test("the API push writes what helm push (Helm 3 and 4) writes; helm pull and helm install read it", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using key = await signingKey("Chart Signer <signer@example.org>");
  await using repo = await createTestRepo();
  await addRichChart(repo);
  const dist = join(key.dir, "dist");
  const r = await publish(
    repo,
    { ...env, HELM_DEBUG: "1" },
    "--oci",
    registry.base,
    "--plain-http",
    "--tag",
    "1.0.0",
    "--artifacts",
    dist,
    "--sign",
    "--key",
    "Chart Signer",
    "--keyring",
    key.secring,
    "-o",
    "json",
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  for (const result of report.results) {
    assert.equal(result.status, "pushed");
    assert.equal(result.pushedWith, "distribution API", JSON.stringify(result));
  }
  assert.match(r.stderr, /rich:1\.0\.0: pushed with distribution API/);

  for (const chart of ["rich", "fastcs"]) {
    const ours = await manifestOf(registry, `charts/${chart}`, "1.0.0");
    assert.equal(ours.digest, report.results.find((x: { chart: string }) => x.chart === chart).digest);
    assert.match(
      ours.manifest.annotations["org.opencontainers.image.created"],
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    assert.deepEqual(ours.manifest.layers.map((l: { mediaType: string }) => l.mediaType).sort(), [
      "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
      "application/vnd.cncf.helm.chart.provenance.v1.prov",
    ]);
    // The same package (and .prov) pushed by each Helm: the same bytes but for the creation time.
    for (const helm of ["helm3", "helm4"] as const) {
      const pushed = await run(tool(helm), [
        "push",
        join(dist, `${chart}-1.0.0.tgz`),
        `oci://${registry.host}/${helm}`,
        "--plain-http",
      ], { env });
      assert.equal(pushed.code, 0, pushed.stderr);
      const theirs = await manifestOf(registry, `${helm}/${chart}`, "1.0.0");
      assert.equal(ours.config, theirs.config, `${chart}: config of ${helm}`);
      assert.equal(withoutCreated(ours.text), withoutCreated(theirs.text), `${chart}: manifest of ${helm}`);
    }
  }
  const rich = await manifestOf(registry, "charts/rich", "1.0.0");
  assert.equal(rich.manifest.annotations["org.opencontainers.image.title"], "rich");
  assert.equal(rich.manifest.annotations["org.opencontainers.image.authors"], "Jane (jane@example.org), Bob");

  // Both Helms pull it (and verify its .prov) and install it.
  for (const helm of ["helm3", "helm4"] as const) {
    await using pullDir = await tempDir();
    const pulled = await run(tool(helm), [
      "pull",
      `${registry.base}/rich`,
      "--version",
      "1.0.0",
      "--plain-http",
      "--verify",
      "--keyring",
      key.pubring,
      "-d",
      pullDir.path,
    ], { env });
    assert.equal(pulled.code, 0, pulled.stderr);
  }
  await using cluster = await startCluster();
  for (const helm of ["helm3", "helm4"] as const) {
    const installed = await run(tool(helm), [
      "install",
      `rich-${helm}`,
      `${registry.base}/rich`,
      "--version",
      "1.0.0",
      "--plain-http",
      "--kubeconfig",
      cluster.kubeconfig,
      "--kube-context",
      "staging",
    ], { env });
    assert.equal(installed.code, 0, installed.stderr);
    const cm = await cluster.kubectl(
      "--context",
      "staging",
      "get",
      "configmap",
      `rich-${helm}-rich`,
      "-o",
      "json",
    );
    assert.equal(cm.code, 0, cm.stderr);
    // The sub-chart's import-values reached the parent: Helm read the dependencies we pushed.
    assert.equal(JSON.parse(cm.stdout).data.b, '{"x":1}');
  }
});

Deno.test("basic credentials: --registry-username and a plain auth entry of Helm's registry config push through the API", async () => {
  await using registry = await startRegistry({ auth: true });
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const withLogin = await publishLoggedIn(repo, env, registry, "1.0.0", "-o", "json");
  assert.equal(withLogin.code, 0, withLogin.stderr);
  assert.equal(JSON.parse(withLogin.stdout).results[0].pushedWith, "distribution API");
  assert.ok(!(withLogin.stdout + withLogin.stderr).includes(registry.password!));

  // `helm registry login` writes a plain auth entry into Helm's registry config: we read it as Helm does.
  const logged = await new Deno.Command(tool("helm4"), {
    args: [
      "registry",
      "login",
      registry.host,
      "--username",
      registry.username!,
      "--password-stdin",
      "--plain-http",
    ],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = logged.stdin.getWriter();
  await writer.write(new TextEncoder().encode(registry.password!));
  await writer.close();
  assert.equal((await logged.output()).code, 0);
  const fromConfig = await publishTo(repo, env, registry, "1.0.1", "-o", "json");
  assert.equal(fromConfig.code, 0, fromConfig.stderr);
  assert.equal(JSON.parse(fromConfig.stdout).results[0].pushedWith, "distribution API");
  // Helm 3 and 4 pull both, with that login.
  for (const helm of ["helm3", "helm4"] as const) {
    for (const version of ["1.0.0", "1.0.1"]) {
      await using pullDir = await tempDir();
      const pulled = await run(tool(helm), [
        "pull",
        `${registry.base}/fastcs`,
        "--version",
        version,
        "--plain-http",
        "-d",
        pullDir.path,
      ], { env });
      assert.equal(pulled.code, 0, `${helm} ${version}: ${pulled.stderr}`);
    }
  }
  // And install it (the fastcs chart: a StatefulSet on the simulated node), with that login.
  await using cluster = await startCluster();
  for (const helm of ["helm3", "helm4"] as const) {
    const installed = await run(tool(helm), [
      "install",
      `auth-${helm}`,
      `${registry.base}/fastcs`,
      "--version",
      "1.0.1",
      "--plain-http",
      "--set",
      "image.repository=example.org/ioc,image.tag=1.0",
      "--kubeconfig",
      cluster.kubeconfig,
      "--kube-context",
      "staging",
    ], { env });
    assert.equal(installed.code, 0, `${helm}: ${installed.stderr}`);
    const sts = await cluster.kubectl("--context", "staging", "get", "statefulset", `auth-${helm}`);
    assert.equal(sts.code, 0, sts.stderr);
  }
  // A rerun finds both published (the check before pushing reads them with the same credentials).
  const again = await publishTo(repo, env, registry, "1.0.1");
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already published/);
});

Deno.test("a credential helper (credsStore) is Helm's to use: those charts go through helm push", async () => {
  await using registry = await startRegistry({ auth: true });
  const env = await envFor("helm4");
  await using bin = await tempDir();
  // A real credential helper (Docker's protocol: `get` reads the server on stdin, prints the credentials).
  await Deno.writeTextFile(
    join(bin.path, "docker-credential-fastcs-test"),
    `#!/bin/sh\n[ "$1" = get ] || exit 1\ncat >/dev/null\nprintf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' ${registry.host} ${registry.username} ${registry.password}\n`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(
    env.HELM_REGISTRY_CONFIG,
    JSON.stringify({ auths: {}, credsStore: "fastcs-test" }),
  );
  await using repo = await createTestRepo();
  const r = await publishTo(
    repo,
    { ...env, PATH: `${bin.path}:${env.PATH}`, HELM_DEBUG: "1" },
    registry,
    "1.0.0",
    "-o",
    "json",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).results[0].pushedWith, "helm push");
  assert.match(
    r.stderr,
    /helm push, as the distribution API push could not: a credential store \(credsStore\)/,
  );
  assert.deepEqual(await registry.tags("charts/fastcs"), ["1.0.0"]);
});

Deno.test("bearer tokens (the token endpoint a registry's challenge names): the API push gets one per repository", async () => {
  await using registry = await startRegistry({ token: true });
  const env = await envFor("helm4");
  await using repo = await createTestRepo(2);
  const r = await publishLoggedIn(repo, env, registry, "1.0.0", "-o", "json");
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout).results;
  assert.equal(results.length, 3);
  for (const result of results) assert.equal(result.pushedWith, "distribution API", JSON.stringify(result));
  assert.deepEqual(await registry.tags("charts/extra-2"), ["1.0.0"]);
  // A rerun reads what the tags hold with a token too: no helm pull.
  const again = await publishLoggedIn(repo, { ...env, HELM_DEBUG: "1" }, registry, "1.0.0");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.match(/already published/g)?.length, 3, again.stdout);
  assert.doesNotMatch(again.stderr, /run: \S+ pull /);
  // Credentials the token server refuses: no token, so helm is asked (its pull, in the check before any
  // push), which fails as Helm does (exit 9), naming the credentials tried, never showing them.
  await writeRegistryAuth(env, registry.host, registry.username!, "wrong-password");
  const refused = await publishTo(repo, env, registry, "2.0.0", "--retries", "0");
  assert.equal(refused.code, 9, refused.stderr);
  assert.match(refused.stderr, /refused the credentials tried/);
  assert.ok(!(refused.stdout + refused.stderr).includes("wrong-password"));
  assert.deepEqual(await registry.tags("charts/extra-1"), ["1.0.0"]);
  await Deno.remove(env.HELM_REGISTRY_CONFIG);
  // Helm 3 and 4, logged in through the same token server, pull what we pushed.
  for (const helm of ["helm3", "helm4"] as const) {
    const login = new Deno.Command(tool(helm), {
      args: [
        "registry",
        "login",
        registry.host,
        "--username",
        registry.username!,
        "--password-stdin",
        // Helm 3.17 has no --plain-http for login; --insecure also takes plain HTTP there.
        helm === "helm4" ? "--plain-http" : "--insecure",
      ],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = login.stdin.getWriter();
    await writer.write(new TextEncoder().encode(registry.password!));
    await writer.close();
    const logged = await login.output();
    assert.equal(logged.code, 0, new TextDecoder().decode(logged.stderr));
    await using pullDir = await tempDir();
    const pulled = await run(tool(helm), [
      "pull",
      `${registry.base}/extra-1`,
      "--version",
      "1.0.0",
      "--plain-http",
      "-d",
      pullDir.path,
    ], { env });
    assert.equal(pulled.code, 0, `${helm}: ${pulled.stderr}`);
  }
});

Deno.test("a bearer token that has expired (a run outliving it) is replaced once: still no helm pull or helm push", async () => {
  await using registry = await startRegistry({ token: true, expiredTokens: 1 });
  const env = await envFor("helm4");
  // What `helm registry login` writes (its own login would take the expired token).
  await writeRegistryAuth(env, registry.host, registry.username!, registry.password!);
  await using repo = await createTestRepo();
  const r = await publishTo(repo, { ...env, HELM_DEBUG: "1" }, registry, "1.0.0", "-o", "json");
  assert.equal(r.code, 0, r.stderr);
  const [result] = JSON.parse(r.stdout).results;
  assert.equal(result.pushedWith, "distribution API", JSON.stringify(result));
  assert.doesNotMatch(r.stderr, /run: \S+ (pull|push) /);
  assert.deepEqual(await registry.tags("charts/fastcs"), ["1.0.0"]);
  // The expired one, then one that works for the rest of the run.
  assert.equal(registry.tokenRequests!.filter((t) => t.withCredentials).length, 2);
});

Deno.test("TLS: --ca-file is trusted by the API push too; --insecure-skip-tls-verify leaves the push to helm", async () => {
  await using registry = await startRegistry({ tls: true });
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const trusted = await publish(
    repo,
    env,
    "--oci",
    registry.base,
    "--ca-file",
    registry.caFile!,
    "--tag",
    "1.0.0",
    "-o",
    "json",
  );
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.equal(JSON.parse(trusted.stdout).results[0].pushedWith, "distribution API", trusted.stderr);
  const insecure = await publish(
    repo,
    env,
    "--oci",
    registry.base,
    "--insecure-skip-tls-verify",
    "--tag",
    "1.0.1",
    "-o",
    "json",
  );
  assert.equal(insecure.code, 0, insecure.stderr);
  assert.equal(JSON.parse(insecure.stdout).results[0].pushedWith, "helm push");
  assert.deepEqual(await registry.tags("charts/fastcs"), ["1.0.0", "1.0.1"]);
});
