// The helm adapter over a recording runner: the argv of each method (Helm 3 and Helm 4 where they differ),
// the password kept out of argv, and the parsing of Helm's outputs.
import assert from "node:assert/strict";
import { ExitCode, type FastcsError } from "../runtime/errors.ts";
import { recordingRunner, type Reply } from "../runtime/recording_runner.ts";
import {
  classifyRegistryFailure,
  createHelm,
  finalHelmError,
  helmErrorLine,
  lintSections,
  type RegistryFailure,
  type RegistryTransport,
} from "./helm.ts";

Deno.test("registry failures are classified on Helm's final error, not its debug log", () => {
  // HELM_DEBUG=1: Helm logs the normal 401 challenge of an authenticated registry before the real answer.
  const debugThenNotFound = [
    'level=DEBUG msg="HEAD https://r.example/v2/charts/app/manifests/1.0.0" status=401',
    'time=2026-11-21T10:00:00Z level=DEBUG msg="auth challenge" error="401 Unauthorized"',
    'Error: failed to perform "FetchReference" on source: r.example/charts/app:1.0.0: not found',
  ].join("\n");
  assert.equal(classifyRegistryFailure(debugThenNotFound), "not found");
  assert.equal(finalHelmError(debugThenNotFound).split("\n").length, 1);
  assert.equal(
    classifyRegistryFailure("Error: unexpected status from HEAD request: 401 Unauthorized"),
    "unauthorized",
  );
  assert.equal(
    classifyRegistryFailure("Error: dial tcp 127.0.0.1:1: connect: connection refused"),
    "unreachable",
  );
  // Without an Error: line, the debug lines are still left out.
  assert.equal(classifyRegistryFailure("[debug] 401 challenge\nsomething else failed"), "other");
});

// Outputs below were captured from helm 3.17.3 and 4.1.4 against charts/fastcs, a throw-away chart and
// Debian's docker-registry (plain HTTP on 127.0.0.1:34829; htpasswd + TLS on 127.0.0.1:35493).

const cwd = "/work/repo";
const helmAt = (major: 3 | 4, script: Reply[] = [], env: Record<string, string> = {}) => {
  const runner = recordingRunner([
    { cmd: "helm", match: ["version"], result: { stdout: major === 4 ? "v4.1.4" : "v3.17.3" } },
    ...script,
  ]);
  return { runner, helm: createHelm(runner.run, "helm", cwd, env) };
};

Deno.test("version: Helm's version and major, asked once per wrapper", async () => {
  const { runner, helm } = helmAt(4);
  assert.deepEqual(await helm.version(), { version: "v4.1.4", major: 4 });
  assert.deepEqual(await helm.version(), { version: "v4.1.4", major: 4 });
  assert.deepEqual(runner.argvs(), [["helm", "version", "--template", "{{.Version}}"]]);
  assert.equal((await helmAt(3).helm.version()).major, 3);
});

Deno.test("every helm call runs the given executable in cwd with the wrapper's extra environment", async () => {
  const env = { HELM_REGISTRY_CONFIG: "/tmp/scratch/registry-config.json" };
  const runner = recordingRunner([{}]);
  const helm = createHelm(runner.run, "/opt/helm/bin/helm", cwd, env);
  await helm.lint(["charts/a"]);
  assert.equal(runner.calls[0].cmd, "/opt/helm/bin/helm");
  assert.deepEqual(runner.calls[0].options, { cwd, env, stdin: undefined });
});

Deno.test("a helm that cannot be started is an environment error naming the executable", async () => {
  const runner = recordingRunner([{
    result: { code: 127, stderr: "helm: No such file or directory (os error 2)" },
  }]);
  await assert.rejects(createHelm(runner.run, "helm", cwd).lint(["charts/a"]), (e: FastcsError) => {
    assert.equal(e.code, "helm.missing");
    assert.equal(e.exitCode, ExitCode.environment);
    assert.equal(e.message, "cannot run helm (helm): helm: No such file or directory (os error 2)");
    return true;
  });
});

Deno.test("lint, template and dependency build: argv per chart folder, values files and transport", async () => {
  const { runner, helm } = helmAt(4, [{ cmd: "helm" }]);
  await helm.lint(["/s/fastcs", "/s/other"]);
  await helm.template("web", "/s/fastcs", ["values.yaml", "envs/prod.yaml"]);
  await helm.template("web", "/s/fastcs", []);
  await helm.dependencyBuild("/s/fastcs");
  await helm.dependencyBuild("/s/fastcs", {
    plainHttp: true,
    insecureSkipTlsVerify: true,
    caFile: "/ca.pem",
  });
  await helm.dependencyBuild("/s/fastcs", { caFile: "/ca.pem" });
  assert.deepEqual(runner.argvs(), [
    ["helm", "lint", "/s/fastcs", "/s/other"],
    ["helm", "template", "web", "/s/fastcs", "-f", "values.yaml", "-f", "envs/prod.yaml"],
    ["helm", "template", "web", "/s/fastcs"],
    ["helm", "dependency", "build", "/s/fastcs"],
    [
      "helm",
      "dependency",
      "build",
      "/s/fastcs",
      "--plain-http",
      "--insecure-skip-tls-verify",
      "--ca-file",
      "/ca.pem",
    ],
    ["helm", "dependency", "build", "/s/fastcs", "--ca-file", "/ca.pem"],
  ]);
});

// `helm lint /tmp/cap/fastcs /tmp/cap/broken` (Helm 3 and 4 print the same): stdout, then stderr.
const LINT_STDOUT = `==> Linting /tmp/cap/fastcs
[INFO] Chart.yaml: icon is recommended

==> Linting /tmp/cap/broken
[INFO] Chart.yaml: icon is recommended
[INFO] values.yaml: file does not exist
[ERROR] templates/: parse error at (broken/templates/cm.yaml:2): function "nope" not defined

`;
const LINT_STDERR = "Error: 2 chart(s) linted, 1 chart(s) failed\n";

Deno.test("lintSections: each chart's part of a multi-chart lint, without the closing count", () => {
  const sections = lintSections(LINT_STDOUT + LINT_STDERR);
  assert.deepEqual([...sections.keys()], ["/tmp/cap/fastcs", "/tmp/cap/broken"]);
  assert.equal(sections.get("/tmp/cap/fastcs"), "[INFO] Chart.yaml: icon is recommended");
  assert.equal(
    sections.get("/tmp/cap/broken"),
    [
      "[INFO] Chart.yaml: icon is recommended",
      "[INFO] values.yaml: file does not exist",
      '[ERROR] templates/: parse error at (broken/templates/cm.yaml:2): function "nope" not defined',
    ].join("\n"),
  );
  // A folder that is no chart: Helm writes "Error unable to check ..." (no colon) inside its section.
  const missing = lintSections(
    "==> Linting fastcs/\n[INFO] Chart.yaml: icon is recommended\n\n==> Linting /tmp/cap/missing\n" +
      "Error unable to check Chart.yaml file in chart: stat /tmp/cap/missing/Chart.yaml: no such file or directory\n\n" +
      "Error: 2 chart(s) linted, 1 chart(s) failed\n",
  );
  assert.deepEqual([...missing.keys()], ["fastcs/", "/tmp/cap/missing"]);
  assert.match(missing.get("/tmp/cap/missing")!, /^Error unable to check Chart\.yaml/);
  assert.equal(lintSections("").size, 0);
});

Deno.test("package: argv with and without signing; the written .tgz paths from Helm's output", async () => {
  // `helm package /tmp/cap/fastcs /tmp/cap/other --destination out-helm4` (Helm 3 prints the same).
  const saved = "Successfully packaged chart and saved it to: out-helm4/fastcs-0.1.0.tgz\n" +
    "Successfully packaged chart and saved it to: out-helm4/other-1.2.3+build.5.tgz\n";
  const { runner, helm } = helmAt(4, [{ match: ["package"], result: { stdout: saved } }]);
  const plain = await helm.package(["/tmp/cap/fastcs", "/tmp/cap/other"], { destination: "out-helm4" });
  assert.deepEqual(plain.paths, ["out-helm4/fastcs-0.1.0.tgz", "out-helm4/other-1.2.3+build.5.tgz"]);
  await helm.package(["/s/a"], { destination: "/out", sign: { key: "CI key", keyring: "/k/secring.gpg" } });
  await helm.package(["/s/a"], {
    destination: "/out",
    sign: { key: "CI key", keyring: "/k/secring.gpg", passphraseFile: "/run/pp" },
  });
  assert.deepEqual(runner.argvs(), [
    ["helm", "package", "/tmp/cap/fastcs", "/tmp/cap/other", "--destination", "out-helm4"],
    [
      "helm",
      "package",
      "/s/a",
      "--destination",
      "/out",
      "--sign",
      "--key",
      "CI key",
      "--keyring",
      "/k/secring.gpg",
    ],
    [
      "helm",
      "package",
      "/s/a",
      "--destination",
      "/out",
      "--sign",
      "--key",
      "CI key",
      "--keyring",
      "/k/secring.gpg",
      "--passphrase-file",
      "/run/pp",
    ],
  ]);
});

Deno.test("package: a run that fails half-way reports only the packages it wrote", async () => {
  // `helm3 package /tmp/cap/fastcs /tmp/cap/broken2 --destination out-helm3`
  const { helm } = helmAt(3, [{
    match: ["package"],
    result: {
      code: 1,
      stdout: "Successfully packaged chart and saved it to: out-helm3/fastcs-0.1.0.tgz\n",
      stderr: "Error: stat /tmp/cap/broken2: no such file or directory\n",
    },
  }]);
  const r = await helm.package(["/tmp/cap/fastcs", "/tmp/cap/broken2"], { destination: "out-helm3" });
  assert.equal(r.code, 1);
  assert.deepEqual(r.paths, ["out-helm3/fastcs-0.1.0.tgz"]);
});

// `helm push out/other-1.2.3+build.5.tgz oci://127.0.0.1:34829/charts --plain-http`: all on stderr.
const PUSH_STDERR = {
  3: "Pushed: 127.0.0.1:34829/charts/other:1.2.3_build.5\n" +
    "Digest: sha256:897c29bac1ec5ac68f5aff500c18e10b1a79e2e10bef0168477c28c6018d2ee6\n" +
    "127.0.0.1:34829/charts/other:1.2.3_build.5 contains an underscore.\n\n" +
    "OCI artifact references (e.g. tags) do not support the plus sign (+). To support\n" +
    "storing semantic versions, Helm adopts the convention of changing plus (+) to\n" +
    "an underscore (_) in chart version tags when pushing to a registry and back to\n" +
    "a plus (+) when pulling from a registry.\n",
  4: "Pushed: 127.0.0.1:35493/charts/fastcs:0.1.0\n" +
    "Digest: sha256:b690391f15ff665c54c4a5b716d447313cd05b951a6bed4c308cb4d0d01f6df4\n",
};

Deno.test("push: argv with the transport flags; the manifest digest from Helm 3's and Helm 4's stderr", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = helmAt(major, [{ match: ["push"], result: { stderr: PUSH_STDERR[major] } }]);
    const r = await helm.push("out/other-1.2.3+build.5.tgz", "oci://127.0.0.1:34829/charts", {
      plainHttp: true,
    });
    assert.equal(
      r.digest,
      major === 3
        ? "sha256:897c29bac1ec5ac68f5aff500c18e10b1a79e2e10bef0168477c28c6018d2ee6"
        : "sha256:b690391f15ff665c54c4a5b716d447313cd05b951a6bed4c308cb4d0d01f6df4",
    );
    assert.deepEqual(runner.argvs(), [
      ["helm", "push", "out/other-1.2.3+build.5.tgz", "oci://127.0.0.1:34829/charts", "--plain-http"],
    ]);
  }
  const { helm } = helmAt(4, [{
    match: ["push"],
    result: {
      code: 1,
      stderr: 'Error: failed to perform "Exists" on destination: basic credential not found\n',
    },
  }]);
  assert.equal((await helm.push("a.tgz", "oci://r/charts", {})).digest, undefined);
});

Deno.test("pull: argv with --version and --destination; the path of the pulled .tgz (a + in the version) and its manifest digest", async () => {
  const destination = await Deno.makeTempDir({ prefix: "fastcs-pull-" });
  try {
    const { runner, helm } = helmAt(4, [{
      match: ["pull"],
      result: () => {
        Deno.writeTextFileSync(`${destination}/other-1.2.3+build.5.tgz`, "");
        return {
          stderr: "Pulled: 127.0.0.1:34829/charts/other:1.2.3_build.5\n" +
            "Digest: sha256:b5b2cf556d3a2ea758464a9b5c6b5cafc66c4ce9c4a59329e9905b099419c9ff\n",
        };
      },
    }]);
    const r = await helm.pull("oci://127.0.0.1:34829/charts/other", "1.2.3+build.5", destination, {
      caFile: "/ca.pem",
      insecureSkipTlsVerify: true,
    });
    assert.equal(r.path, `${destination}/other-1.2.3+build.5.tgz`);
    assert.equal(r.digest, "sha256:b5b2cf556d3a2ea758464a9b5c6b5cafc66c4ce9c4a59329e9905b099419c9ff");
    assert.deepEqual(runner.argvs(), [[
      "helm",
      "pull",
      "oci://127.0.0.1:34829/charts/other",
      "--version",
      "1.2.3+build.5",
      "--destination",
      destination,
      "--insecure-skip-tls-verify",
      "--ca-file",
      "/ca.pem",
    ]]);
  } finally {
    await Deno.remove(destination, { recursive: true });
  }
});

Deno.test("pull: a failed pull has no path and does not look at the destination", async () => {
  const { helm } = helmAt(4, [{
    match: ["pull"],
    result: {
      code: 1,
      stderr:
        'Error: failed to perform "FetchReference" on source: 127.0.0.1:34829/charts/fastcs:9.9.9: not found\n',
    },
  }]);
  const r = await helm.pull("oci://127.0.0.1:34829/charts/fastcs", "9.9.9", "/no/such/folder", {
    plainHttp: true,
  });
  assert.equal(r.code, 1);
  assert.equal(r.path, undefined);
});

Deno.test("repo list: Helm's classic chart repositories in its order (helm repo list -o json, no credentials in it); an unreadable list is exit 6", async () => {
  // Helm 3.17.3 and 4.1.4 print the same for a repositories.yaml holding a repository added with --username.
  const { runner, helm } = helmAt(4, [{
    match: ["repo", "list"],
    result: {
      stdout:
        '[{"name":"private","url":"https://charts.example.org/stable"},{"name":"other","url":"http://127.0.0.1:1/charts"}]\n',
    },
  }]);
  assert.deepEqual(await helm.repoList(), [
    { name: "private", url: "https://charts.example.org/stable" },
    { name: "other", url: "http://127.0.0.1:1/charts" },
  ]);
  assert.deepEqual(runner.argvs(), [["helm", "repo", "list", "-o", "json"]]);
  // No repository at all: both print [] and exit 0.
  assert.deepEqual(
    await helmAt(3, [{ match: ["repo", "list"], result: { stdout: "[]\n" } }]).helm.repoList(),
    [],
  );
  await assert.rejects(
    helmAt(4, [{ match: ["repo", "list"], result: { code: 1, stderr: "Error: permission denied\n" } }]).helm
      .repoList(),
    (e: FastcsError) =>
      e.exitCode === ExitCode.environment &&
      e.message === "cannot list Helm's chart repositories: Error: permission denied",
  );
});

Deno.test("repo update: Helm 3 is asked to fail on a repository it could not refresh (it exits 0 otherwise); Helm 4 fails anyway and has no such flag", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = helmAt(major, [{ match: ["repo", "update"] }]);
    await helm.repoUpdate("private");
    assert.deepEqual(runner.argvs().filter((a) => a[1] === "repo"), [
      ["helm", "repo", "update", "private", ...(major === 3 ? ["--fail-on-repo-update-fail"] : [])],
    ]);
  }
});

Deno.test("pull from a named repository: NAME/CHART, --version and --destination, no --repo nor credentials; the pulled .tgz", async () => {
  const destination = await Deno.makeTempDir({ prefix: "fastcs-pull-" });
  try {
    const { runner, helm } = helmAt(4, [{
      match: ["pull"],
      result: () => (Deno.writeTextFileSync(`${destination}/fastcs-1.0.0.tgz`, ""), {}),
    }]);
    const r = await helm.pullFromNamedRepo("private", "fastcs", "1.0.0", destination);
    assert.equal(r.path, `${destination}/fastcs-1.0.0.tgz`);
    assert.deepEqual(runner.argvs(), [
      ["helm", "pull", "private/fastcs", "--version", "1.0.0", "--destination", destination],
    ]);
  } finally {
    await Deno.remove(destination, { recursive: true });
  }
});

Deno.test("registry login: Helm 4 has --plain-http, Helm 3 only --insecure; --ca-file on both", async () => {
  const login = async (major: 3 | 4, transport: RegistryTransport) => {
    const { runner, helm } = helmAt(major, [{
      match: ["registry", "login"],
      result: { stderr: "Login Succeeded\n" },
    }]);
    await helm.registryLogin("127.0.0.1:35493", "ci", "pw", transport);
    // After `registry login HOST --username U --password-stdin`.
    return runner.calls.find((c) => c.args[0] === "registry")!.args.slice(6);
  };
  assert.deepEqual(await login(4, { plainHttp: true }), ["--plain-http"]);
  assert.deepEqual(await login(3, { plainHttp: true }), ["--insecure"]);
  assert.deepEqual(await login(4, { insecureSkipTlsVerify: true }), ["--insecure"]);
  assert.deepEqual(await login(3, { insecureSkipTlsVerify: true }), ["--insecure"]);
  assert.deepEqual(await login(4, { plainHttp: true, insecureSkipTlsVerify: true }), ["--plain-http"]);
  assert.deepEqual(await login(3, { caFile: "/ca.pem" }), ["--ca-file", "/ca.pem"]);
  assert.deepEqual(await login(4, {}), []);
});

Deno.test("registry login: the password goes to stdin, never into argv or the HELM_DEBUG line", async () => {
  const password = "0f1e2d3c-s3cret with space";
  const { runner, helm } = helmAt(3, [{
    match: ["registry", "login"],
    result: { stderr: "Login Succeeded\n" },
  }]);
  await helm.registryLogin("127.0.0.1:35493", "ci", password, { caFile: "/ca.pem" });
  const call = runner.calls.find((c) => c.args[0] === "registry")!;
  assert.deepEqual(call.args, [
    "registry",
    "login",
    "127.0.0.1:35493",
    "--username",
    "ci",
    "--password-stdin",
    "--ca-file",
    "/ca.pem",
  ]);
  assert.equal(call.options.stdin, password);
  for (const c of runner.calls) {
    assert.ok(!c.args.some((a) => a.includes("s3cret")), c.shown);
    assert.ok(!c.shown.includes("s3cret"), c.shown);
  }
});

Deno.test("repo index: --url and --merge of the folder's own index.yaml only when asked", async () => {
  const { runner, helm } = helmAt(3, [{ match: ["repo", "index"] }]);
  await helm.repoIndex("/site/charts", undefined, false);
  await helm.repoIndex("/site/charts", "https://example.org/charts", true);
  await helm.repoIndex("/site/charts", undefined, true);
  assert.deepEqual(runner.argvs(), [
    ["helm", "repo", "index", "/site/charts"],
    [
      "helm",
      "repo",
      "index",
      "/site/charts",
      "--url",
      "https://example.org/charts",
      "--merge",
      "/site/charts/index.yaml",
    ],
    ["helm", "repo", "index", "/site/charts", "--merge", "/site/charts/index.yaml"],
  ]);
});

Deno.test("registry failures of real Helm 3 and Helm 4 runs are classified", () => {
  const cases: [string, RegistryFailure][] = [
    // pull of a tag the registry does not hold
    ["Error: 127.0.0.1:34829/charts/fastcs:9.9.9: not found", "not found"],
    [
      'Error: failed to perform "FetchReference" on source: 127.0.0.1:34829/charts/fastcs:9.9.9: not found',
      "not found",
    ],
    // pull of a chart (repository) the registry does not hold
    ["Error: 127.0.0.1:34829/charts/nochart:1.0.0: not found", "not found"],
    // nothing listens
    [
      'Error: failed to do request: Head "http://127.0.0.1:1/v2/charts/fastcs/manifests/1.0.0": dial tcp 127.0.0.1:1: connect: connection refused',
      "unreachable",
    ],
    [
      'Error: failed to perform "FetchReference" on source: Get "http://127.0.0.1:1/v2/charts/fastcs/manifests/1.0.0": dial tcp 127.0.0.1:1: connect: connection refused',
      "unreachable",
    ],
    // a registry with htpasswd: no login, a wrong password
    [
      'Error: failed to perform "FetchReference" on source: GET "https://127.0.0.1:35493/v2/charts/fastcs/manifests/0.1.0": basic credential not found',
      "unauthorized",
    ],
    [
      "Error: login attempt to https://127.0.0.1:35493/v2/ failed with status: 401 Unauthorized",
      "unauthorized",
    ],
    [
      'Error: authenticating to "127.0.0.1:35493": GET "https://127.0.0.1:35493/v2/": response status code 401: unauthorized: authentication required',
      "unauthorized",
    ],
    // TLS the client does not trust; TLS asked of a plain-HTTP registry
    [
      'Error: failed to perform "FetchReference" on source: Get "https://127.0.0.1:35493/v2/charts/fastcs/manifests/0.1.0": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      "unreachable",
    ],
    [
      'Error: authenticating to "127.0.0.1:34829": Get "https://127.0.0.1:34829/v2/": http: server gave HTTP response to HTTPS client',
      "unreachable",
    ],
    // Helm 3 speaks plain HTTP to a TLS registry on 127.0.0.1
    [
      "Error: unexpected status from HEAD request to http://127.0.0.1:35493/v2/charts/fastcs/manifests/0.1.0: 400 Bad Request",
      "other",
    ],
  ];
  for (const [stderr, failure] of cases) {
    assert.equal(classifyRegistryFailure(stderr + "\n"), failure, stderr);
  }
});

Deno.test("finalHelmError: the error comes first, after the --debug log of Helm 4 and of Helm 3", () => {
  // `helm4 pull oci://127.0.0.1:37151/charts/fastcs --version 9.9.9 --plain-http --debug` (headers cut)
  const helm4 = [
    'level=DEBUG msg="set up default downloader cache"',
    'level=DEBUG msg=GET id=0 url=http://127.0.0.1:37151/v2/charts/fastcs/manifests/9.9.9 header="   \\"User-Agent\\": \\"Helm/4.1.4\\""',
    'level=DEBUG msg=Res id=0 status="404 Not Found" body="{\\"errors\\":[{\\"code\\":\\"MANIFEST_UNKNOWN\\",\\"message\\":\\"manifest unknown\\",\\"detail\\":{\\"Tag\\":\\"9.9.9\\"}}]}\\n"',
    'Error: failed to perform "FetchReference" on source: 127.0.0.1:37151/charts/fastcs:9.9.9: not found',
    "",
  ].join("\n");
  assert.equal(
    finalHelmError(helm4).trim(),
    'Error: failed to perform "FetchReference" on source: 127.0.0.1:37151/charts/fastcs:9.9.9: not found',
  );
  assert.equal(classifyRegistryFailure(helm4), "not found");
  // The same with Helm 3: containerd's logrus lines before, Helm's [debug] trace after the error.
  const helm3 = [
    'time="2026-11-21T13:16:28Z" level=debug msg=resolving host="127.0.0.1:37151"',
    'time="2026-11-21T13:16:28Z" level=debug msg="fetch response received" host="127.0.0.1:37151" response.status="404 Not Found" url="http://127.0.0.1:37151/v2/charts/fastcs/manifests/9.9.9"',
    'time="2026-11-21T13:16:28Z" level=info msg="trying next host - response was http.StatusNotFound" host="127.0.0.1:37151"',
    "Error: 127.0.0.1:37151/charts/fastcs:9.9.9: not found",
    "helm.go:86: 2026-11-21 13:16:28.860683179 +0000 UTC m=+0.054582397 [debug] 127.0.0.1:37151/charts/fastcs:9.9.9: not found",
    "",
  ].join("\n");
  assert.equal(finalHelmError(helm3).split("\n")[0], "Error: 127.0.0.1:37151/charts/fastcs:9.9.9: not found");
  assert.equal(classifyRegistryFailure(helm3), "not found");
});

Deno.test("status codes count only as HTTP statuses: a version or host holding 403 or 503 is no refusal", () => {
  const cases: [string, string][] = [
    ["Error: 127.0.0.1:5000/charts/fastcs:1.0.403: not found", "not found"],
    ["Error: reg-503.example/charts/fastcs:1.0.0: not found", "not found"],
    [
      "Error: unexpected status from HEAD request to https://r.example/v2/a/manifests/1: 403 Forbidden",
      "unauthorized",
    ],
    ["Error: failed to do request: response status code 401: unauthorized", "unauthorized"],
    ["Error: GET https://r.example/v2/: 503 Service Unavailable", "unreachable"],
  ];
  for (const [stderr, failure] of cases) assert.equal(classifyRegistryFailure(stderr), failure, stderr);
});

Deno.test('Helm 3\'s logrus debug lines (time="…" level=debug) are not part of the final error', () => {
  const stderr =
    'time="2026-11-21T13:16:28Z" level=debug msg=resolving host="r.example"\npush failed badly\n';
  assert.equal(finalHelmError(stderr).trim(), "push failed badly");
});

Deno.test("a helm whose version cannot be read is an environment error, never guessed as Helm 0", async () => {
  const runner = recordingRunner([{
    match: ["version"],
    result: { code: 1, stderr: "Error: unknown flag\n" },
  }]);
  await assert.rejects(createHelm(runner.run, "/opt/helm", "/work").version(), (e: FastcsError) => {
    assert.equal(e.code, "helm.version");
    assert.equal(e.exitCode, ExitCode.environment);
    return true;
  });
});

Deno.test("pull: the package named after the chart wins over others in the folder; among several others none is guessed", async () => {
  const destination = await Deno.makeTempDir({ prefix: "fastcs-pull-" });
  try {
    Deno.writeTextFileSync(`${destination}/zzz-9.9.9.tgz`, "");
    const { helm } = helmAt(4, [{
      match: ["pull"],
      result: () => (Deno.writeTextFileSync(`${destination}/app-1.0.0.tgz`, ""), {}),
    }]);
    const r = await helm.pull("oci://r.example/charts/app", "1.0.0", destination, {});
    assert.equal(r.path, `${destination}/app-1.0.0.tgz`);
    await Deno.remove(r.path!);
    Deno.writeTextFileSync(`${destination}/yyy-1.0.0.tgz`, "");
    const { helm: other } = helmAt(4, [{ match: ["pull"] }]);
    assert.equal((await other.pull("oci://r.example/charts/app", "1.0.0", destination, {})).path, undefined);
  } finally {
    await Deno.remove(destination, { recursive: true });
  }
});

Deno.test("helmErrorLine: Helm's error on one line, not the last frame of the Go stack Helm 3 prints under HELM_DEBUG", () => {
  // `HELM_DEBUG=1 helm3 upgrade --install x chart --atomic` with no cluster (stack cut in the middle).
  const helm3 = [
    'Error: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused',
    'helm.go:86: 2026-11-21 20:23:05.87360322 +0000 UTC m=+0.082009714 [debug] Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused',
    "Kubernetes cluster unreachable",
    "helm.sh/helm/v3/pkg/kube.(*Client).IsReachable",
    "\thelm.sh/helm/v3/pkg/kube/client.go:135",
    "runtime.goexit",
    "\truntime/asm_amd64.s:1700",
    "",
  ].join("\n");
  assert.equal(
    helmErrorLine(helm3),
    'Error: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused',
  );
  // An error over several lines stays whole; stderr without an Error: line gives its last line.
  assert.equal(
    helmErrorLine("Error: UPGRADE FAILED: 2 errors occurred:\n\t* a\n\t* b\n\n"),
    "Error: UPGRADE FAILED: 2 errors occurred: * a * b",
  );
  assert.equal(helmErrorLine("WARNING: x\nsomething failed\n"), "something failed");
});
