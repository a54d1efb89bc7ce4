// helm fastcs publish against registries that need credentials or TLS, that are unreachable, or that die
// mid-run, and signed packages: the real Debian docker-registry and the real Helm 4.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI_ARGS, run, spawnCli } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { createTestRepo } from "../support/git_repo.ts";
import { envFor, publish, publishTo } from "../support/publish.ts";
import { startRegistry } from "../support/registry.ts";
import { signingKey } from "../support/signing.ts";

Deno.test("credentials: refused without them (saying which were tried), used from the environment, never shown", async () => {
  await using registry = await startRegistry({ auth: true });
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const anonymous = await publish(repo, env, "--oci", registry.base, "--plain-http", "--retries", "0");
  assert.equal(anonymous.code, 9, anonymous.stderr);
  assert.match(anonymous.stderr, /refused the credentials tried: the registry config .*registry\.json/);
  const withLogin = await publish(
    repo,
    { ...env, HELM_FASTCS_REGISTRY_PASSWORD: registry.password! },
    "--oci",
    registry.base,
    "--plain-http",
    "--registry-username",
    registry.username!,
  );
  assert.equal(withLogin.code, 0, withLogin.stderr);
  assert.match(withLogin.stdout, /pushed/);
  // The login was for this run only: Helm's registry config holds no credential afterwards.
  const config = await Deno.readTextFile(env.HELM_REGISTRY_CONFIG).catch(() => "");
  assert.ok(!config.includes(btoa(`${registry.username}:${registry.password}`)), config);
  // Under HELM_DEBUG=1 (Helm then logs the normal 401 challenge), a new version still publishes.
  await repo.git("tag", "v7.0.0");
  const debug = await publish(
    repo,
    { ...env, HELM_FASTCS_REGISTRY_PASSWORD: registry.password!, HELM_DEBUG: "1" },
    "--oci",
    registry.base,
    "--plain-http",
    "--registry-username",
    registry.username!,
  );
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stdout, /7\.0\.0 .* pushed/);
  assert.ok(!(debug.stdout + debug.stderr).includes(registry.password!), "not even in debug output");
  await repo.git("tag", "-d", "v7.0.0");
  assert.ok(!(withLogin.stdout + withLogin.stderr + anonymous.stderr).includes(registry.password!));
  // The password on stdin: a wrong one fails the login before anything is checked or pushed.
  const viaStdin = async (password: string) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...CLI_ARGS,
        "publish",
        "--oci",
        registry.base,
        "--plain-http",
        "--registry-username",
        registry.username!,
        "--password-stdin",
        "--dev-version",
        `9.9.${password.length}`,
      ],
      cwd: repo.dir,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(password + "\n"));
    await writer.close();
    const out = await child.output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const wrong = await viaStdin("not-the-password");
  assert.equal(wrong.code, 9);
  assert.match(wrong.text, /helm registry login 127\.0\.0\.1:\d+ as ci failed/);
  assert.ok(!wrong.text.includes("not-the-password"));
  const right = await viaStdin(registry.password!);
  assert.equal(right.code, 0, right.text);
  assert.match(right.text, /pushed/);
});

Deno.test("TLS with a private CA's certificate: trusted with --ca-file, refused without", async () => {
  await using registry = await startRegistry({ tls: true });
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const untrusted = await publish(repo, env, "--oci", registry.base, "--retries", "0");
  assert.equal(untrusted.code, 9);
  assert.match(untrusted.stderr, /x509|certificate/);
  const trusted = await publish(repo, env, "--oci", registry.base, "--ca-file", registry.caFile!);
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.deepEqual((await registry.tags("charts/fastcs")).length, 1);
});

Deno.test("an unreachable registry fails after bounded retries, nothing pushed", async () => {
  await using registry = await startRegistry();
  await registry.stop();
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const r = await publish(repo, env, "--oci", registry.base, "--plain-http", "--retries", "1");
  assert.equal(r.code, 9);
  assert.match(r.stderr, /registry unreachable, retrying \(1\/1\)/);
  assert.match(r.stderr, /Gave up after 2 attempt\(s\)/);
  // A dry run still shows the whole plan offline, marking what could not be checked.
  const dry = await publish(repo, env, "--oci", registry.base, "--plain-http", "--retries", "0", "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /fastcs .* would push: not checked: .*connection refused/);
});

Deno.test("a registry that dies mid-run: truthful summary, then a rerun completes without duplicates", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using repo = await createTestRepo(3);
  await repo.git("tag", "3.0.0");
  const child = spawnCli([
    "publish",
    "--oci",
    registry.base,
    "--plain-http",
    "--concurrency",
    "1",
    "--retries",
    "0",
    "-o",
    "json",
  ], { cwd: repo.dir, env });
  // Kill the registry once the first push has finished: with --concurrency 1, the second "pushing" line
  // says so (a tag that has landed is not enough: helm push may still be waiting for the registry's
  // answer, and killing the registry then fails that push too). Bounded generously for a loaded machine.
  let stderr = "";
  const reading = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
  })();
  const pushing = () => stderr.match(/^pushing /gm)?.length ?? 0;
  for (const deadline = Date.now() + 180_000; pushing() < 2 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(pushing() >= 2, `the second push did not start within 180 s:\n${stderr}`);
  await registry.stop();
  const [stdout] = await Promise.all([new Response(child.stdout).text(), reading]);
  const out = { ...(await child.status), stdout: new TextEncoder().encode(stdout) };
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(out.code, 9);
  const statuses = report.results.map((r: { status: string }) => r.status);
  assert.ok(statuses.includes("pushed") && statuses.includes("failed"), statuses.join(","));
  const pushedFirst = report.results.filter((r: { status: string }) => r.status === "pushed").map((
    r: { chart: string },
  ) => r.chart);

  await registry.start();
  const rerun = await publish(repo, env, "--oci", registry.base, "--plain-http", "-o", "json");
  assert.equal(rerun.code, 0, rerun.stderr);
  for (const r of JSON.parse(rerun.stdout).results) {
    assert.equal(r.status, pushedFirst.includes(r.chart) ? "already published" : "pushed", r.chart);
  }
  for (const c of ["extra-1", "extra-2", "extra-3", "fastcs"]) {
    assert.deepEqual(await registry.tags(`charts/${c}`), ["3.0.0"]);
  }
});

Deno.test("signing: packages carry a .prov that helm verifies, in the artifacts and pulled from the registry", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using key = await signingKey("Chart Signer <signer@example.org>");

  await using repo = await createTestRepo();
  await repo.git("tag", "4.0.0");
  const out = join(key.dir, "dist");
  const r = await publish(
    repo,
    env,
    "--oci",
    registry.base,
    "--plain-http",
    "--artifacts",
    out,
    "--sign",
    "--key",
    "Chart Signer",
    "--keyring",
    key.secring,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await Array.fromAsync(Deno.readDir(out))).some((e) => e.name === "fastcs-4.0.0.tgz.prov"));
  const verify = await run(env.HELM_BIN, [
    "verify",
    join(out, "fastcs-4.0.0.tgz"),
    "--keyring",
    key.pubring,
  ], { env });
  assert.equal(verify.code, 0, verify.stderr);
  await using pullDir = await tempDir();
  const pulled = await run(env.HELM_BIN, [
    "pull",
    `${registry.base}/fastcs`,
    "--version",
    "4.0.0",
    "--plain-http",
    "--verify",
    "--keyring",
    key.pubring,
    "-d",
    pullDir.path,
  ], { env });
  assert.equal(pulled.code, 0, pulled.stderr);
});

Deno.test("two publishes of one version with different content at once: never both 'pushed', the loser says conflict (exit 8)", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using a = await createTestRepo();
  await using b = await createTestRepo();
  await b.write("charts/fastcs/templates/other.yaml", "# other content\n");
  await b.commit("other content");
  for (const version of ["5.0.0", "5.0.1", "5.0.2"]) {
    const args = ["--oci", registry.base, "--plain-http", "--tag", version, "-o", "json"];
    const [ra, rb] = await Promise.all([publish(a, env, ...args), publish(b, env, ...args)]);
    const status = (r: { stdout: string }) => {
      try {
        return JSON.parse(r.stdout).results[0].status as string;
      } catch {
        return "refused"; // the check before pushing saw the other's version: exit 8, nothing pushed
      }
    };
    const statuses = [status(ra), status(rb)];
    assert.ok(!(statuses[0] === "pushed" && statuses[1] === "pushed"), `${version}: ${statuses}`);
    assert.equal(statuses.filter((s) => s === "pushed").length, 1, `${version}: ${statuses}`);
    for (const [r, s] of [[ra, statuses[0]], [rb, statuses[1]]] as const) {
      assert.equal(r.code, s === "pushed" ? 0 : 8, `${version} ${s}: ${r.stderr}`);
    }
    // What the winner reported is what the tag holds: a third run of the winner finds its own content.
    const winner = statuses[0] === "pushed" ? a : b;
    const again = await publish(winner, env, ...args);
    assert.equal(JSON.parse(again.stdout).results[0].status, "already published", again.stderr);
  }
});

Deno.test("charts that depend on each other are pushed in dependency order (a parent never before its child)", async () => {
  await using registry = await startRegistry();
  const env = await envFor("helm4");
  await using repo = await createTestRepo();
  const chart = (name: string, deps = "") => `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n${deps}`;
  await repo.write("charts/zbase/Chart.yaml", chart("zbase"));
  await repo.write(
    "charts/zbase/templates/cm.yaml",
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\n",
  );
  await repo.write(
    "charts/app/Chart.yaml",
    chart("app", `dependencies: [{name: zbase, version: 1.0.0}]\n`),
  );
  await repo.write(
    "charts/app/templates/cm.yaml",
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n",
  );
  await repo.write("charts/app/charts/zbase/Chart.yaml", chart("zbase"));
  await repo.commit("two charts, one depending on the other");
  const r = await publishTo(repo, env, registry, "1.0.0", "--skip-schema-check");
  assert.equal(r.code, 0, r.stderr);
  const at = (name: string) =>
    r.stderr.indexOf(`pushing ${registry.base.replace(/^oci:\/\//, "oci://")}/${name}:`);
  assert.ok(at("zbase") >= 0 && at("app") > at("zbase"), r.stderr);
});
