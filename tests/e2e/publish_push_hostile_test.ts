// The in-process OCI push of helm fastcs publish against registries that answer in unusual or hostile ways:
// the manifest is the very one `helm push` writes for the same package (so that a retry, or `helm push` after
// an answer that got lost, writes the same bytes; a requirements.yaml is left to helm push); credentials
// never go to a host the registry points an upload to, to a plain-HTTP token endpoint of an HTTPS registry,
// or to a realm that is no web address, and never show in any output; a blob read redirected to an address
// that is no web address is not followed (a file: one would be read from our disk); answers without end are
// read only up to Helm's limits; a manifest's digest is computed, not taken from the registry's word. The real
// Debian docker-registry and the real Helm 3.17.3 and 4.1.4. Fakes, each named where it is used, only for what
// docker-registry cannot do or show: the other host an upload is sent to (a recorder), a gateway that loses an
// answer, one that names a wrong digest, endless bodies, redirects to file: and data: addresses, a front whose
// /v2/ redirects to the registry or names a token endpoint twice, and the Authorization headers a registry got.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { envFor, publish, publishLoggedIn, writeRegistryAuth } from "../support/publish.ts";
import { forwardingGateway, httpsFront, startRegistry } from "../support/registry.ts";
import { ApiPushDeclined, registryApi } from "../../src/publish/oci_push.ts";
import { createdAt, helmChartArtifact } from "../../src/publish/oci_manifest.ts";
import { packageFiles } from "../../src/chart/package_files.ts";

/** The offset east of UTC, in minutes, of `zone` at `date` (from the ICU data Deno carries). */
function offsetOf(zone: string, date: Date): number {
  const name = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(date).find((p) => p.type === "timeZoneName")!.value; // "GMT+01:00"
  const m = name.match(/GMT([+-])(\d\d):(\d\d)/);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

Deno.test("the API push writes the manifest helm push (3 and 4) writes for the same package, creation time included", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, "c"));
  await Deno.writeTextFile(
    join(dir.path, "c", "Chart.yaml"),
    "apiVersion: v2\nname: c\nversion: 1.0.0+build.7\ndescription: d\n",
  );
  const packaged = await run(tool("helm4"), ["package", join(dir.path, "c"), "-d", dir.path], { env });
  assert.equal(packaged.code, 0, packaged.stderr);
  const tgz = join(dir.path, "c-1.0.0+build.7.tgz");
  const modified = new Date("2024-07-01T10:20:30.900Z"); // summer time in Berlin, a fraction of a second
  await Deno.utime(tgz, modified, modified);

  const api = registryApi(`oci://${registry.host}/ours`, { plainHttp: true }, { kind: "anonymous" });
  try {
    const first = await api.push(tgz, "c", "1.0.0_build.7");
    // Pushed again (a retry): the same manifest, not one with a new creation time.
    assert.equal(await api.push(tgz, "c", "1.0.0_build.7"), first);
    const digestOf = async (repository: string) => {
      const r = await fetch(`http://${registry.host}/v2/${repository}/manifests/1.0.0_build.7`, {
        method: "HEAD",
        headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(r.status, 200, repository);
      return r.headers.get("Docker-Content-Digest");
    };
    assert.equal(await digestOf("ours/c"), first);
    for (const helm of ["helm3", "helm4"] as const) {
      for (const zone of ["UTC", "Europe/Berlin"]) {
        const repository = `${helm}-${zone.replace("/", "-").toLowerCase()}`;
        const pushed = await run(tool(helm), [
          "push",
          tgz,
          `oci://${registry.host}/${repository}`,
          "--plain-http",
        ], {
          env: { ...env, TZ: zone },
        });
        assert.equal(pushed.code, 0, pushed.stderr);
        // What we build for that zone is byte for byte what that Helm pushed there.
        const artifact = await helmChartArtifact(
          await Deno.readFile(tgz),
          new TextDecoder().decode(
            (await packageFiles(tgz, (p) => p === "c/Chart.yaml")).get("c/Chart.yaml"),
          ),
          undefined,
          createdAt(modified, offsetOf(zone, modified)),
        );
        assert.equal(await digestOf(`${repository}/c`), artifact!.digest, `${helm} in ${zone}`);
        if (zone === "UTC") assert.equal(artifact!.digest, first, `${helm}: ours and theirs`);
      }
    }
  } finally {
    api.close();
  }
});

Deno.test("a package with a requirements.yaml (apiVersion v1) is left to helm push: Helm merges it into the config", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using dir = await tempDir();
  for (
    const [file, text] of [
      ["old/Chart.yaml", "apiVersion: v1\nname: old\nversion: 1.0.0\n"],
      ["old/requirements.yaml", "dependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://sub\n"],
      ["old/charts/sub/Chart.yaml", "apiVersion: v1\nname: sub\nversion: 0.1.0\n"],
    ]
  ) {
    await Deno.mkdir(join(dir.path, file, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir.path, file), text);
  }
  const packaged = await run(tool("helm4"), ["package", join(dir.path, "old"), "-d", dir.path], { env });
  assert.equal(packaged.code, 0, packaged.stderr);
  const tgz = join(dir.path, "old-1.0.0.tgz");
  const api = registryApi(`oci://${registry.host}/ours`, { plainHttp: true }, { kind: "anonymous" });
  try {
    await assert.rejects(api.push(tgz, "old", "1.0.0"), ApiPushDeclined);
  } finally {
    api.close();
  }
  assert.deepEqual(await registry.tags("ours/old"), []);
  // What helm push writes there: the dependencies of requirements.yaml in the config.
  const pushed = await run(tool("helm4"), ["push", tgz, `oci://${registry.host}/helm4`, "--plain-http"], {
    env,
  });
  assert.equal(pushed.code, 0, pushed.stderr);
  const manifest = await (await fetch(`http://${registry.host}/v2/helm4/old/manifests/1.0.0`, {
    headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
  })).json();
  const config = await (await fetch(`http://${registry.host}/v2/helm4/old/blobs/${manifest.config.digest}`))
    .json();
  assert.deepEqual(config.dependencies, [{ name: "sub", version: "0.1.0", repository: "file://sub" }]);
});

Deno.test("a manifest PUT that the registry took but whose answer got lost: helm push then writes the same manifest", async () => {
  // A fake gateway in front of the real registry: it passes everything on, but answers the first manifest PUT
  // with 502 after the registry took it (a load balancer that timed out).
  const port = freePort();
  let manifestPuts = 0;
  const gateway = forwardingGateway(port, () => registry.host, async (request, url, forwarded) => {
    if (request.method === "PUT" && url.pathname.includes("/manifests/") && manifestPuts++ === 0) {
      await forwarded.body?.cancel();
      return new Response("upstream timed out", { status: 502 });
    }
  });
  await using registry = await startRegistry({ externalUrl: `http://127.0.0.1:${port}` });
  try {
    const env = await envFor("helm4");
    await using repo = await createTestRepo();
    const r = await publish(
      repo,
      { ...env, HELM_DEBUG: "1" },
      "--oci",
      `oci://127.0.0.1:${port}/charts`,
      "--plain-http",
      "--tag",
      "1.0.0",
      "-o",
      "json",
    );
    assert.equal(r.code, 0, r.stderr);
    const [result] = JSON.parse(r.stdout).results;
    assert.equal(result.pushedWith, "helm push");
    assert.equal(manifestPuts, 2);
    // The tag has only ever pointed at one manifest (docker-registry keeps an index of them per tag).
    const index = join(
      registry.storage,
      "docker/registry/v2/repositories/charts/fastcs/_manifests/tags/1.0.0/index/sha256",
    );
    const digests = (await Array.fromAsync(Deno.readDir(index))).map((e) => `sha256:${e.name}`);
    assert.deepEqual(digests, [result.digest]);
  } finally {
    await gateway.shutdown();
  }
});

Deno.test("an upload Location on another host: the blob may go there, the credentials never do", async () => {
  // The other host: a recorder (a fake) that asks for credentials as a phishing server would.
  const seen: { method: string; path: string; authorization: string | null }[] = [];
  const port = freePort();
  const foreign = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (request) => {
    await request.body?.cancel();
    seen.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get("Authorization"),
    });
    return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="foreign"' } });
  });
  try {
    for (const variant of [{ auth: true }, { token: true }]) {
      seen.length = 0;
      await using registry = await startRegistry({ ...variant, externalUrl: `http://127.0.0.1:${port}` });
      const env = await envFor("helm4");
      await using repo = await createTestRepo();
      const r = await publishLoggedIn(
        repo,
        { ...env, HELM_DEBUG: "1" },
        registry,
        "1.0.0",
        "--retries",
        "0",
        "-o",
        "json",
      );
      const what = `${JSON.stringify(variant)}: ${r.stderr}`;
      assert.ok(seen.some((s) => s.method === "PUT"), `the upload went to the other host: ${what}`);
      assert.deepEqual(seen.filter((s) => s.authorization !== null), [], what);
      // Nothing got there, so nothing was published: a failure (exit 9), the password nowhere.
      assert.equal(r.code, 9, what);
      assert.match(
        JSON.parse(r.stdout).results[0].error,
        /sent the upload of sha256:[0-9a-f]{64} to another host, http:\/\/127\.0\.0\.1:\d+, which answered 401: the credentials for 127\.0\.0\.1:\d+ \(username ci \(--registry-username\)\) are not sent there/,
      );
      assert.deepEqual(await registry.tags("charts/fastcs"), []);
      assert.ok(!(r.stdout + r.stderr).includes(registry.password!));
    }
  } finally {
    await foreign.shutdown();
  }
});

Deno.test("a registry over HTTPS naming a token endpoint over plain HTTP: no credentials in clear text, by us or by helm", async () => {
  await using registry = await startRegistry({ tls: true, token: true });
  // The credentials in Helm's registry config (what `helm registry login` writes; not run: it would send the
  // password to that endpoint itself), or --registry-username (which runs that login: refused before it).
  for (const given of ["registry config", "--registry-username"] as const) {
    const env = await envFor("helm4");
    if (given === "registry config") {
      await writeRegistryAuth(env, registry.host, registry.username!, registry.password!);
    }
    await using repo = await createTestRepo();
    const r = await publish(
      repo,
      { ...env, HELM_DEBUG: "1", HELM_FASTCS_REGISTRY_PASSWORD: registry.password! },
      "--oci",
      registry.base,
      "--ca-file",
      registry.caFile!,
      "--tag",
      "1.0.0",
      ...(given === "--registry-username" ? ["--registry-username", registry.username!] : []),
    );
    assert.equal(r.code, 9, `${given}: ${r.stderr}`);
    const source = given === "registry config"
      ? String.raw`the entry for 127\.0\.0\.1:\d+ in \S+registry\.json`
      : String.raw`username ci \(--registry-username\)`;
    assert.match(
      r.stderr,
      new RegExp(
        String
          .raw`https://127\.0\.0\.1:\d+ names a token endpoint over plain HTTP \(http://127\.0\.0\.1:\d+/token\): ` +
          String.raw`the credentials for 127\.0\.0\.1:\d+ \(${source}\) are not sent there`,
      ),
    );
    assert.match(r.stderr, /Nothing was pushed/);
    assert.deepEqual(registry.tokenRequests!.filter((t) => t.withCredentials), [], given);
    // Neither helm registry login (Helm 3.17 and 4.1 send the password to that endpoint while logging in), nor
    // helm pull (the check) or helm push was asked instead: they would have sent them.
    assert.doesNotMatch(r.stderr, /run: \S+ (registry login|pull|push) /);
    assert.deepEqual(await registry.tags("charts/fastcs"), []);
    assert.ok(!(r.stdout + r.stderr).includes(registry.password!));
  }
});

Deno.test("a registry whose /v2/ redirects elsewhere to a plain-HTTP token endpoint: no credentials in clear text there either, by helm login, pull or push", async () => {
  await using registry = await startRegistry({ tls: true, token: true });
  // The address given: a front (a fake, over HTTPS with the registry's own certificate) whose /v2/ sends the
  // API version check on to the registry (307), as a registry moved behind another name does. Helm's login
  // follows the redirect and answers the challenge it finds there.
  const front = await httpsFront(registry, async (request) => {
    await request.body?.cancel();
    const url = new URL(request.url);
    return new Response(null, {
      status: 307,
      headers: { Location: `https://${registry.host}${url.pathname}` },
    });
  });
  const host = `127.0.0.1:${front.addr.port}`;
  try {
    for (const given of ["registry config", "--registry-username"] as const) {
      const env = await envFor("helm4");
      if (given === "registry config") {
        await writeRegistryAuth(env, host, registry.username!, registry.password!);
      }
      await using repo = await createTestRepo();
      const r = await publish(
        repo,
        { ...env, HELM_DEBUG: "1", HELM_FASTCS_REGISTRY_PASSWORD: registry.password! },
        "--oci",
        `oci://${host}/charts`,
        "--ca-file",
        registry.caFile!,
        "--tag",
        "1.0.0",
        ...(given === "--registry-username" ? ["--registry-username", registry.username!] : []),
      );
      assert.deepEqual(registry.tokenRequests!.filter((t) => t.withCredentials), [], `${given}: ${r.stderr}`);
      assert.equal(r.code, 9, `${given}: ${r.stderr}`);
      assert.match(r.stderr, /names a token endpoint over plain HTTP \(http:\/\/127\.0\.0\.1:\d+\/token\)/);
      assert.doesNotMatch(r.stderr, /run: \S+ (registry login|pull|push) /);
      assert.ok(!(r.stdout + r.stderr).includes(registry.password!));
    }
  } finally {
    await front.shutdown();
  }
});

Deno.test("a challenge naming its realm twice (HTTPS, then plain HTTP), or with spaces around '=': refused before helm registry login", async () => {
  await using registry = await startRegistry({ tls: true, token: true });
  // The registry's own challenge names its plain-HTTP token endpoint.
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(registry.caFile!)] });
  const own = await fetch(`https://${registry.host}/v2/`, { client });
  await own.body?.cancel();
  client.close();
  const httpRealm = own.headers.get("WWW-Authenticate")!.match(/realm="([^"]*)"/)![1];
  // A front (a fake, over HTTPS with the registry's certificate) answering with that realm after an HTTPS one:
  // Helm 3.17 and 4.1 take the last one and send the password there.
  const front = await httpsFront(registry, async (request) => {
    await request.body?.cancel();
    return new Response(null, { status: 401, headers: { "WWW-Authenticate": challenge } });
  });
  let challenge = "";
  try {
    for (
      challenge of [
        `Bearer realm="https://${registry.host}/token",service="x",realm="${httpRealm}"`,
        // RFC 9110 allows white space around '=': Helm 4 reads this realm.
        `Bearer realm = "${httpRealm}", service="x"`,
      ]
    ) {
      const env = await envFor("helm4");
      await using repo = await createTestRepo();
      const r = await publish(
        repo,
        { ...env, HELM_DEBUG: "1", HELM_FASTCS_REGISTRY_PASSWORD: registry.password! },
        "--oci",
        `oci://127.0.0.1:${front.addr.port}/charts`,
        "--ca-file",
        registry.caFile!,
        "--tag",
        "1.0.0",
        "--registry-username",
        registry.username!,
      );
      assert.deepEqual(
        registry.tokenRequests!.filter((t) => t.withCredentials),
        [],
        `${challenge}: ${r.stderr}`,
      );
      assert.equal(r.code, 9, `${challenge}: ${r.stderr}`);
      assert.match(r.stderr, /names a token endpoint over plain HTTP \(http:\/\/127\.0\.0\.1:\d+\/token\)/);
      assert.doesNotMatch(r.stderr, /run: \S+ registry login /);
    }
  } finally {
    await front.shutdown();
  }
});

Deno.test("HELM_DEBUG=1, -o json, --concurrency: no password, no Basic encoding of it, no token in any output", async () => {
  for (const variant of [{ auth: true }, { token: true }]) {
    await using registry = await startRegistry(variant);
    const env = await envFor("helm4");
    await using repo = await createTestRepo(3);
    const r = await publishLoggedIn(
      repo,
      { ...env, HELM_DEBUG: "1" },
      registry,
      "1.0.0",
      "--concurrency",
      "4",
      "-o",
      "json",
    );
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout).results;
    assert.equal(results.length, 4);
    for (const result of results) assert.equal(result.pushedWith, "distribution API", JSON.stringify(result));
    const out = r.stdout + r.stderr;
    const basic = btoa(`${registry.username}:${registry.password}`);
    for (const secret of [registry.password!, basic, basic.slice(4, -4)]) assert.ok(!out.includes(secret));
    assert.doesNotMatch(out, /Bearer |eyJ[\w-]{10,}\./); // no Authorization value, no JWT
  }
});

Deno.test("a token endpoint or a manifest answering without end: read up to Helm's limits, then helm's answer (exit 9)", async () => {
  // A fake registry and token endpoint (docker-registry sends no such bodies): it counts the bytes taken.
  const huge = 128 * 1024 * 1024;
  let served = 0;
  let mode: "token" | "manifest" = "token";
  const endless = (prefix: string) => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = new Uint8Array(64 * 1024).fill(0x61);
        if (sent === 0) chunk.set(new TextEncoder().encode(prefix));
        sent += chunk.length;
        served += chunk.length;
        controller.enqueue(chunk);
        if (sent >= huge) controller.close();
      },
    });
  };
  const fake = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/token") {
      return mode === "token" ? new Response(endless('{"token":"')) : Response.json({ token: "good" });
    }
    if (request.headers.get("Authorization") !== "Bearer good") {
      return new Response(null, {
        status: 401,
        headers: { "WWW-Authenticate": `Bearer realm="http://${url.host}/token",service="fake"` },
      });
    }
    return new Response(endless('{"schemaVersion":2,"layers":[{"x":"'), {
      headers: {
        "Content-Type": "application/vnd.oci.image.manifest.v1+json",
        "Docker-Content-Digest": `sha256:${"0".repeat(64)}`,
      },
    });
  });
  try {
    const host = `127.0.0.1:${fake.addr.port}`;
    for (const which of ["token", "manifest"] as const) {
      mode = which;
      served = 0;
      const env = await envFor("helm4");
      await writeRegistryAuth(env, host, "ci", "pw");
      await using repo = await createTestRepo();
      const r = await publish(
        repo,
        env,
        "--oci",
        `oci://${host}/charts`,
        "--plain-http",
        "--tag",
        "1.0.0",
        "--retries",
        "0",
      );
      assert.equal(r.code, 9, `${which}: ${r.stderr}`);
      assert.ok(served < 32 * 1024 * 1024, `${which}: ${served} bytes taken`);
    }
  } finally {
    await fake.shutdown();
  }
});

Deno.test("a challenge naming a realm that is no web address (file:, data:, garbage): no token is made of it", async () => {
  // A fake registry: its challenges name what docker-registry's configuration could name, and it records the
  // Authorization headers it receives (which docker-registry does not show).
  await using dir = await tempDir();
  const secretFile = join(dir.path, "token.json");
  await Deno.writeTextFile(secretFile, JSON.stringify({ token: "a-token-from-our-disk" }));
  const realms = [
    `file://${secretFile}`,
    "data:application/json,%7B%22token%22%3A%22from-data%22%7D",
    "not a url",
    'x" , realm="',
    "",
  ];
  let realm = "";
  const received: string[] = [];
  const fake = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const auth = request.headers.get("Authorization");
    if (auth) received.push(auth);
    return new Response(null, {
      status: 401,
      headers: { "WWW-Authenticate": `Bearer realm="${realm}",service="fake",scope="repository:c/x:pull"` },
    });
  });
  try {
    for (realm of realms) {
      const api = registryApi(`oci://127.0.0.1:${fake.addr.port}/c`, { plainHttp: true }, {
        kind: "basic",
        username: "u",
        password: "p",
        source: "test",
      });
      try {
        const read = await api.read("x", "manifests/1.0.0", { method: "GET" });
        assert.equal(read?.status, 401, realm);
      } finally {
        api.close();
      }
    }
    assert.deepEqual(received, []);
  } finally {
    await fake.shutdown();
  }
});

Deno.test("a registry naming a wrong Docker-Content-Digest for a manifest: its word is not taken for the digest", async () => {
  // A fake gateway in front of the real registry that, once told to, names a digest other than that of the
  // manifest it serves (a broken cache in front of a registry).
  const port = freePort();
  const wrong = `sha256:${"0".repeat(64)}`;
  let lying = false;
  const gateway = forwardingGateway(port, () => registry.host, (_request, url, _forwarded, headers) => {
    if (lying && url.pathname.includes("/manifests/") && headers.has("Docker-Content-Digest")) {
      headers.set("Docker-Content-Digest", wrong);
    }
    return undefined;
  });
  await using registry = await startRegistry({ externalUrl: `http://127.0.0.1:${port}` });
  try {
    const env = await envFor("helm4");
    await using repo = await createTestRepo();
    const args = ["--oci", `oci://127.0.0.1:${port}/charts`, "--plain-http", "--tag", "1.0.0", "-o", "json"];
    const first = await publish(repo, env, ...args);
    assert.equal(first.code, 0, first.stderr);
    const [pushed] = JSON.parse(first.stdout).results;
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
    lying = true;
    const again = await publish(repo, { ...env, HELM_DEBUG: "1" }, ...args);
    // Not "already published" with the registry's word for the digest: the tag is read by helm pull then,
    // which refuses the mismatch as well (exit code 9), and the release is not reported as done.
    assert.equal(again.code, 9, again.stderr);
    assert.match(
      again.stderr,
      /checking oci:\/\/127\.0\.0\.1:\d+\/charts\/fastcs:1\.0\.0: .*mismatched digest/,
    );
    assert.ok(!again.stdout.includes(wrong), again.stdout);
  } finally {
    await gateway.shutdown();
  }
});

Deno.test("a blob read redirected to an address that is no web address (file:, data:): not followed, helm's way instead", async () => {
  // A fake registry (docker-registry redirects only to its storage's web addresses): it answers a blob read
  // with a redirect to a file of our disk, or to data.
  await using dir = await tempDir();
  const secretFile = join(dir.path, "secret.txt");
  await Deno.writeTextFile(secretFile, "a-secret-from-our-disk");
  const locations = [`file://${secretFile}`, "data:text/plain,from-data"];
  let location = "";
  const fake = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(null, { status: 307, headers: { Location: location } }),
  );
  try {
    for (location of locations) {
      const api = registryApi(`oci://127.0.0.1:${fake.addr.port}/c`, { plainHttp: true }, {
        kind: "anonymous",
      });
      try {
        const read = await api.read("x", `blobs/sha256:${"0".repeat(64)}`, { method: "GET" });
        assert.equal(read, undefined, `${location}: ${read?.status} ${await read?.text()}`);
      } finally {
        api.close();
      }
    }
  } finally {
    await fake.shutdown();
  }
});
