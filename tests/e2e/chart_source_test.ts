// Where promote fetches a chart from a private classic chart repository (src/promote/chart_source.ts): a web
// server in this test process that asks for HTTP basic credentials, the real Helm 4 and Helm 3 in a Helm home
// of the test's own. Promote never takes a repository password itself: the repository Helm knows by that URL
// (`helm repo add --username`) is pulled through its name, with Helm's stored credentials.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, helmEnv, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { chartSite } from "../support/promote.ts";
import { createHelm } from "../../src/adapters/helm.ts";
import { fileSha256 } from "../../src/chart/content_digest.ts";
import { fetchChart, parseChartSource } from "../../src/promote/chart_source.ts";
import type { S3Connections } from "../../src/publish/s3_target.ts";
import { FastcsError } from "../../src/runtime/errors.ts";
import { createLog } from "../../src/runtime/log.ts";
import { createRunner } from "../../src/runtime/runner.ts";

const USER = "ci";
const PASSWORD = "s3cret-Pw";

/** Serves the files of `dir` on 127.0.0.1 to requests with the basic credentials ci:s3cret-Pw only (401 with
 * a challenge otherwise, as Artifactory or ChartMuseum with auth do); records each request's path and
 * whether it carried them. Changing `credentials.password` rotates the password. */
function servePrivateFolder(dir: string) {
  const requests: { path: string; authorized: boolean }[] = [];
  const credentials = { password: PASSWORD };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const authorized =
      request.headers.get("authorization") === `Basic ${btoa(`${USER}:${credentials.password}`)}`;
    requests.push({ path, authorized });
    if (!authorized) {
      return new Response("unauthorized", {
        status: 401,
        headers: { "www-authenticate": 'Basic realm="charts"' },
      });
    }
    try {
      return new Response(await Deno.readFile(join(dir, path.split("/").pop() ?? "")));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return Object.assign(server, { url: `http://127.0.0.1:${server.addr.port}/charts`, requests, credentials });
}

// fetchChart reaches S3 only for s3:// sources.
const noS3: S3Connections = {
  of: () => Promise.reject(new Error("no S3 in this test")),
  close: () => Promise.resolve(),
};

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: a private HTTP chart repository is pulled through the name Helm knows it by`, async (t) => {
    await using home = await tempDir("fastcs-helm-home-");
    await using site = await tempDir("fastcs-site-");
    const env = helmEnv(home.path);
    const helmCli = (...args: string[]) => run(tool(helmName), args, { env });
    await chartSite(helmCli, site.path);
    const expectedSha = await fileSha256(join(site.path, "fastcs-1.0.0.tgz"));
    await using server = servePrivateFolder(site.path);
    const log = createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} });
    // A new adapter per step: what Helm knows is looked up once per run (per adapter).
    const helm = () => createHelm(createRunner(log).run, tool(helmName), home.path, env);
    const source = parseChartSource(server.url + "/", "fastcs.yaml");
    const fetch = async (version: string) => {
      await using destination = await tempDir("fastcs-pull-");
      const fetched = await fetchChart(
        helm(),
        noS3,
        source,
        "fastcs",
        version,
        destination.path,
        {},
        new Map(),
      );
      return { digest: fetched.digest, sha: await fileSha256(fetched.path) };
    };

    await t.step(
      "unknown to Helm: refused by the server, and the error says how to give Helm the credentials",
      async () => {
        const error = await fetch("1.0.0").then(() => undefined, (e) => e);
        assert.ok(error instanceof FastcsError, String(error));
        assert.equal(error.exitCode, 9);
        assert.match(error.message, /cannot pull fastcs 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/charts/);
        assert.match(
          error.hint ?? "",
          /helm repo add NAME http:\/\/127\.0\.0\.1:\d+\/charts --username USER --password-stdin/,
        );
        assert.ok(server.requests.every((r) => !r.authorized));
      },
    );

    await t.step(
      "after helm repo add --username: pulled through that name with Helm's stored credentials",
      async () => {
        // The password goes in on stdin, never in argv.
        const add = new Deno.Command(tool(helmName), {
          // Without the trailing slash the project file has: the same repository.
          args: ["repo", "add", "private", server.url, "--username", USER, "--password-stdin"],
          env,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = add.stdin.getWriter();
        await writer.write(new TextEncoder().encode(PASSWORD));
        await writer.close();
        const added = await add.output();
        assert.equal(added.code, 0, new TextDecoder().decode(added.stderr));
        server.requests.length = 0;
        const fetched = await fetch("1.0.0");
        assert.equal(fetched.sha, expectedSha);
        assert.equal(fetched.digest, `sha256:${expectedSha}`);
        const paths = server.requests.filter((r) => r.authorized).map((r) => r.path);
        assert.ok(paths.some((p) => p.endsWith("/index.yaml")), JSON.stringify(server.requests));
        assert.ok(paths.some((p) => p.endsWith("/fastcs-1.0.0.tgz")), JSON.stringify(server.requests));
      },
    );

    await t.step(
      "a version the repository does not hold (any more) is exit 9 'not in … any more'",
      async () => {
        const error = await fetch("9.9.9").then(() => undefined, (e) => e);
        assert.ok(error instanceof FastcsError, String(error));
        assert.equal(error.exitCode, 9);
        assert.match(
          error.message,
          /chart fastcs 9\.9\.9 is not in http:\/\/127\.0\.0\.1:\d+\/charts any more/,
        );
      },
    );

    await t.step(
      "credentials Helm has but the server refuses: the refresh fails with the repository's name",
      async () => {
        server.credentials.password = "rotated";
        const error = await fetch("1.0.0").then(() => undefined, (e) => e);
        assert.ok(error instanceof FastcsError, String(error));
        assert.equal(error.exitCode, 9);
        assert.match(
          error.message,
          /cannot refresh the index of chart repository private \(http:\/\/127\.0\.0\.1:\d+\/charts\)/,
        );
        assert.match(error.hint ?? "", /helm repo update private/);
      },
    );
  });
}

Deno.test("credentials in a project file's repository address are refused, without showing them", () => {
  const error = (() => {
    try {
      parseChartSource("https://bob:s3cret-Pw@charts.example.org/stable/", "fastcs.yaml");
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof FastcsError, String(error));
  assert.equal(error.exitCode, 5);
  assert.match(
    error.message,
    /fastcs\.yaml carries credentials in its address \(https:\/\/charts\.example\.org\/stable /,
  );
  assert.match(error.hint ?? "", /helm repo add NAME https:\/\/charts\.example\.org\/stable --username USER/);
  assert.doesNotMatch(`${error.message} ${error.hint}`, /s3cret|bob/);
});

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: a repository Helm knows with credentials in its URL is found, and no message shows the password`, async () => {
    await using home = await tempDir("fastcs-helm-home-");
    await using site = await tempDir("fastcs-site-");
    const env = helmEnv(home.path);
    const helmCli = (...args: string[]) => run(tool(helmName), args, { env });
    await chartSite(helmCli, site.path);
    await using server = servePrivateFolder(site.path);
    // What some set-ups do instead of --username: Helm keeps the URL as given and sends its credentials.
    const withCredentials = server.url.replace("://", `://${USER}:${PASSWORD}@`);
    const added = await helmCli("repo", "add", "inurl", withCredentials);
    assert.equal(added.code, 0, added.stderr);
    const log = createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} });
    const helm = () => createHelm(createRunner(log).run, tool(helmName), home.path, env);
    const source = parseChartSource(server.url, "fastcs.yaml");
    await using destination = await tempDir("fastcs-pull-");
    const fetched = await fetchChart(
      helm(),
      noS3,
      source,
      "fastcs",
      "1.0.0",
      destination.path,
      {},
      new Map(),
    );
    assert.equal(fetched.digest, `sha256:${await fileSha256(join(site.path, "fastcs-1.0.0.tgz"))}`);
    server.credentials.password = "rotated";
    await using again = await tempDir("fastcs-pull-");
    const error = await fetchChart(helm(), noS3, source, "fastcs", "1.0.0", again.path, {}, new Map())
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof FastcsError, String(error));
    assert.equal(error.exitCode, 9);
    assert.match(error.message, /cannot refresh the index of chart repository inurl/);
    assert.doesNotMatch(`${error.message} ${error.hint}`, new RegExp(PASSWORD));
  });
}

for (const helmName of ["helm4", "helm3"] as const) {
  Deno.test(`${helmName}: a token in the repository address's query string is shown as *** in Helm's errors and ours`, async () => {
    await using home = await tempDir("fastcs-helm-home-");
    const env = helmEnv(home.path);
    const lines: string[] = [];
    const log = createLog({ debug: true, color: false, writeOut: () => {}, writeErr: (t) => lines.push(t) });
    const helm = createHelm(createRunner(log).run, tool(helmName), home.path, env);
    // Nothing listens there: Helm's error quotes the address it could not reach, query string and all.
    const source = parseChartSource(
      `http://127.0.0.1:${freePort()}/charts?access_token=T0KEN-1&page=2`,
      "fastcs.yaml",
    );
    await using destination = await tempDir("fastcs-pull-");
    const error = await fetchChart(helm, noS3, source, "fastcs", "1.0.0", destination.path, {}, new Map())
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof FastcsError, String(error));
    assert.equal(error.exitCode, 9);
    assert.match(
      error.message,
      /^cannot pull fastcs 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/charts\?access_token=\*\*\*&page=2: .*access_token=\*\*\*/,
    );
    // HELM_DEBUG's command line too.
    assert.match(lines.join(""), /--repo http:\/\/127\.0\.0\.1:\d+\/charts\?access_token=\*\*\*&page=2/);
    assert.doesNotMatch(`${error.message} ${error.hint} ${lines.join("")}`, /T0KEN-1/);
  });
}
