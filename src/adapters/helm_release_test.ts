// The release adapter over a recording runner: the target flags on every command, the Helm 3 / Helm 4
// differences (list --all, --atomic / --rollback-on-failure), and the parsing of Helm's JSON. Outputs were
// captured from helm 3.17.3 and 4.1.4 on the test control plane (tests/support/cluster.ts): release "web"
// installed, upgraded, rolled back to 1.
import assert from "node:assert/strict";
import { ExitCode } from "../runtime/errors.ts";
import { recordingRunner, type Reply } from "../runtime/recording_runner.ts";
import { createReleaseHelm, HelmCommandError } from "./helm_release.ts";
import type { KubeTarget } from "./kube.ts";

const cwd = "/work/repo";
const staging: KubeTarget = {
  context: "staging",
  namespace: "ns-helm4",
  kubeconfig: "/home/ci/.kube/config",
};
const STAGING_FLAGS = [
  "--namespace",
  "ns-helm4",
  "--kube-context",
  "staging",
  "--kubeconfig",
  "/home/ci/.kube/config",
];

const releaseHelm = (major: 3 | 4, script: Reply[], target: KubeTarget = staging) => {
  const runner = recordingRunner(script);
  return { runner, helm: createReleaseHelm(runner.run, "helm", cwd, target, major) };
};

// `helm history web --max 256 -o json` (Helm 3 and 4 print the same shape).
const HISTORY_JSON = {
  3: '[{"revision":1,"updated":"2026-11-21T13:16:29.011549082Z","status":"superseded","chart":"other-1.2.3+build.5","app_version":"2.0","description":"promoted from staging/web revision 1"},{"revision":2,"updated":"2026-11-21T13:16:29.147089884Z","status":"superseded","chart":"other-1.2.3+build.5","app_version":"2.0","description":"second"},{"revision":3,"updated":"2026-11-21T13:16:29.342184307Z","status":"deployed","chart":"other-1.2.3+build.5","app_version":"2.0","description":"Rollback to 1"}]\n',
  4: '[{"revision":1,"updated":"2026-11-21T13:16:30.643133182Z","status":"superseded","chart":"other-1.2.3+build.5","app_version":"2.0","description":"promoted from staging/web revision 1"},{"revision":2,"updated":"2026-11-21T13:16:30.796454995Z","status":"superseded","chart":"other-1.2.3+build.5","app_version":"2.0","description":"second"},{"revision":3,"updated":"2026-11-21T13:16:31.029464411Z","status":"deployed","chart":"other-1.2.3+build.5","app_version":"2.0","description":"Rollback to 1"}]\n',
};

// `helm get metadata web -o json`: Helm 4 adds the release labels and the apply method.
const METADATA_JSON = {
  3: '{"name":"web","chart":"other","version":"1.2.3+build.5","appVersion":"2.0","namespace":"ns-helm3","revision":3,"status":"deployed","deployedAt":"2026-11-21T13:16:29Z"}\n',
  4: '{"name":"web","chart":"other","version":"1.2.3+build.5","appVersion":"2.0","labels":{"modifiedAt":"1795266991","name":"web","owner":"helm","promotedBy":"ci","promotedFrom":"staging","status":"deployed","version":"3"},"namespace":"ns-helm4","revision":3,"status":"deployed","deployedAt":"2026-11-21T13:16:31Z","applyMethod":"ssa"}\n',
};

const MANIFEST = `---
# Source: other/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-cm
data:
  x: "0"

`;

const NOT_FOUND = { code: 1, stderr: "Error: release: not found\n" };

Deno.test("every release command ends with the target's namespace, kube context and kubeconfig", async () => {
  const { runner, helm } = releaseHelm(4, [{ cmd: "helm" }]);
  await helm.template("web", "/tmp/chart.tgz", ["values.yaml", "envs/prod.yaml"]);
  await helm.test("web", "5m");
  await helm.rollback("web", 3, "5m");
  await helm.uninstall("web", "90s");
  await helm.uninstall("web", "90s", { keepHistory: true, description: "deleted after promotion" });
  assert.deepEqual(runner.argvs(), [
    [
      "helm",
      "template",
      "web",
      "/tmp/chart.tgz",
      "-f",
      "values.yaml",
      "-f",
      "envs/prod.yaml",
      ...STAGING_FLAGS,
    ],
    ["helm", "test", "web", "--timeout", "5m", ...STAGING_FLAGS],
    ["helm", "rollback", "web", "3", "--wait", "--timeout", "5m", ...STAGING_FLAGS],
    ["helm", "uninstall", "web", "--wait", "--timeout", "90s", ...STAGING_FLAGS],
    [
      "helm",
      "uninstall",
      "web",
      "--wait",
      "--timeout",
      "90s",
      "--keep-history",
      "--description",
      "deleted after promotion",
      ...STAGING_FLAGS,
    ],
  ]);
  assert.deepEqual(runner.calls.map((c) => c.options), Array(5).fill({ cwd }));
  assert.equal(helm.target, staging);
});

Deno.test("without a kube context or kubeconfig only --namespace is passed (Helm's own defaults)", async () => {
  const { runner, helm } = releaseHelm(3, [{ cmd: "helm" }], { namespace: "default" });
  await helm.uninstall("web", "90s");
  assert.deepEqual(runner.argvs(), [[
    "helm",
    "uninstall",
    "web",
    "--wait",
    "--timeout",
    "90s",
    "--namespace",
    "default",
  ]]);
});

Deno.test("template with server: --dry-run=server (the same spelling in Helm 3 and 4), in the target", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = releaseHelm(major, [{ cmd: "helm" }]);
    await helm.template("web", "/tmp/chart.tgz", ["values.yaml"], { server: true });
    await helm.template("web", "/tmp/chart.tgz", ["values.yaml"], { server: false });
    assert.deepEqual(runner.argvs(), [
      [
        "helm",
        "template",
        "web",
        "/tmp/chart.tgz",
        "-f",
        "values.yaml",
        "--dry-run=server",
        ...STAGING_FLAGS,
      ],
      ["helm", "template", "web", "/tmp/chart.tgz", "-f", "values.yaml", ...STAGING_FLAGS],
    ]);
  }
});

Deno.test("upgrade --install: Helm 3 --atomic, Helm 4 --rollback-on-failure; labels as k=v,k=v", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = releaseHelm(major, [{ match: ["upgrade"] }]);
    await helm.upgradeInstall("web", "/tmp/other-1.2.3+build.5.tgz", {
      valuesFiles: ["envs/prod.yaml"],
      timeout: "60s",
      description: "promoted from staging/web revision 1",
      labels: { promotedFrom: "staging", promotedBy: "ci" },
    });
    assert.deepEqual(runner.argvs(), [[
      "helm",
      "upgrade",
      "--install",
      "web",
      "/tmp/other-1.2.3+build.5.tgz",
      "-f",
      "envs/prod.yaml",
      "--wait",
      "--timeout",
      "60s",
      major === 4 ? "--rollback-on-failure" : "--atomic",
      "--description",
      "promoted from staging/web revision 1",
      "--labels",
      "promotedFrom=staging,promotedBy=ci",
      ...STAGING_FLAGS,
    ]]);
    // A first install into a namespace that does not exist yet creates it.
    await helm.upgradeInstall("web", "/tmp/web.tgz", {
      valuesFiles: [],
      timeout: "60s",
      description: "d",
      labels: {},
      createNamespace: true,
    });
    assert.equal(runner.argvs()[1].filter((a) => a === "--create-namespace").length, 1);
  }
});

Deno.test("list: Helm 3 needs --all for every status, Helm 4 has no --all; --max 0 lifts Helm's 256; the JSON is parsed", async () => {
  const listed = {
    3: '[{"name":"web","namespace":"ns-helm3","revision":"3","updated":"2026-11-21 13:16:29.342184307 +0000 UTC","status":"deployed","chart":"other-1.2.3+build.5","app_version":"2.0"}]\n',
    4: '[{"name":"web","namespace":"ns-helm4","revision":"3","updated":"2026-11-21 13:16:31.029464411 +0000 UTC","status":"deployed","chart":"other-1.2.3+build.5","app_version":"2.0"}]\n',
  };
  for (const major of [3, 4] as const) {
    const { runner, helm } = releaseHelm(major, [{ match: ["list"], result: { stdout: listed[major] } }]);
    const [web, ...rest] = await helm.list();
    assert.equal(rest.length, 0);
    assert.deepEqual([web.name, web.revision, web.status, web.chart, web.app_version], [
      "web",
      "3",
      "deployed",
      "other-1.2.3+build.5",
      "2.0",
    ]);
    assert.deepEqual(runner.argvs(), [
      ["helm", "list", ...(major === 3 ? ["--all"] : []), "--max", "0", "-o", "json", ...STAGING_FLAGS],
    ]);
    assert.equal(runner.calls[0].options.timeoutMs, undefined);
    await helm.list(1500); // shell completion: helm is killed after 1.5 s
    assert.equal(runner.calls[1].options.timeoutMs, 1500);
    await helm.list(undefined, "team in (core,edge)"); // promote --selector: one argument, as typed
    assert.deepEqual(runner.argvs()[2], [
      "helm",
      "list",
      ...(major === 3 ? ["--all"] : []),
      "--max",
      "0",
      "--selector",
      "team in (core,edge)",
      "-o",
      "json",
      ...STAGING_FLAGS,
    ]);
  }
});

Deno.test("history: argv with --max 256 and Helm's JSON as entries, oldest first", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = releaseHelm(major, [{
      match: ["history"],
      result: { stdout: HISTORY_JSON[major] },
    }]);
    const history = await helm.history("web");
    assert.deepEqual(history.map((h) => [h.revision, h.status, h.description]), [
      [1, "superseded", "promoted from staging/web revision 1"],
      [2, "superseded", "second"],
      [3, "deployed", "Rollback to 1"],
    ]);
    assert.deepEqual([history[2].chart, history[2].app_version], ["other-1.2.3+build.5", "2.0"]);
    assert.match(history[0].updated, /^2026-11-21T13:16:\d\d\.\d+Z$/);
    assert.deepEqual(runner.argvs(), [[
      "helm",
      "history",
      "web",
      "--max",
      "256",
      "-o",
      "json",
      ...STAGING_FLAGS,
    ]]);
  }
});

Deno.test("history of a release that does not exist is a HelmCommandError naming command and target", async () => {
  const { helm } = releaseHelm(4, [{ match: ["history"], result: NOT_FOUND }]);
  await assert.rejects(helm.history("nope"), (e: HelmCommandError) => {
    assert.ok(e instanceof HelmCommandError);
    assert.equal(
      e.message,
      "helm history nope --max 256 in namespace ns-helm4 (kube context staging) failed: Error: release: not found",
    );
    assert.equal(e.code, "helm.failed");
    assert.equal(e.exitCode, ExitCode.environment);
    assert.deepEqual(e.args, ["history", "nope", "--max", "256"]);
    return true;
  });
});

Deno.test("metadata: Helm 3's and Helm 4's `get metadata` JSON", async () => {
  for (const major of [3, 4] as const) {
    const { runner, helm } = releaseHelm(major, [{
      match: ["get", "metadata"],
      result: { stdout: METADATA_JSON[major] },
    }]);
    const meta = await helm.metadata("web");
    assert.deepEqual(
      [meta.name, meta.chart, meta.version, meta.appVersion, meta.revision, meta.status],
      ["web", "other", "1.2.3+build.5", "2.0", 3, "deployed"],
    );
    assert.deepEqual(runner.argvs(), [["helm", "get", "metadata", "web", "-o", "json", ...STAGING_FLAGS]]);
  }
});

Deno.test("values: user-supplied (Helm prints null when there are none) or all computed with --all", async () => {
  const { runner, helm } = releaseHelm(4, [
    { match: ["get", "values", "web", "--all"], result: { stdout: '{"x":0}\n' } },
    { match: ["get", "values", "web"], result: { stdout: "null\n" } },
  ]);
  assert.deepEqual(await helm.values("web"), {});
  assert.deepEqual(await helm.values("web", true), { x: 0 });
  assert.deepEqual(runner.argvs(), [
    ["helm", "get", "values", "web", "-o", "json", ...STAGING_FLAGS],
    ["helm", "get", "values", "web", "--all", "-o", "json", ...STAGING_FLAGS],
  ]);
});

Deno.test("status and manifest: Helm's output, or undefined for a release that does not exist", async () => {
  // `helm3 status web -o json` (Helm 4 adds info.resources and apply_method)
  const status =
    '{"name":"web","info":{"first_deployed":"2026-11-21T13:16:29.011549082Z","last_deployed":"2026-11-21T13:16:29.342184307Z","deleted":"","description":"Rollback to 1","status":"deployed"},"manifest":"---\\n# Source: other/templates/cm.yaml\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: web-cm\\ndata:\\n  x: \\"0\\"\\n","version":3,"namespace":"ns-helm3"}\n';
  const { runner, helm } = releaseHelm(3, [
    { match: ["status", "web"], result: { stdout: status } },
    { match: ["get", "manifest", "web"], result: { stdout: MANIFEST } },
    { match: ["status", "nope"], result: NOT_FOUND },
    { match: ["get", "manifest", "nope"], result: NOT_FOUND },
  ]);
  const s = await helm.status("web");
  assert.deepEqual([s?.name, s?.version, (s?.info as { status: string }).status], ["web", 3, "deployed"]);
  assert.equal(await helm.manifest("web"), MANIFEST);
  assert.equal(await helm.status("nope"), undefined);
  assert.equal(await helm.manifest("nope"), undefined);
  assert.deepEqual(runner.argvs(), [
    ["helm", "status", "web", "-o", "json", ...STAGING_FLAGS],
    ["helm", "get", "manifest", "web", ...STAGING_FLAGS],
    ["helm", "status", "nope", "-o", "json", ...STAGING_FLAGS],
    ["helm", "get", "manifest", "nope", ...STAGING_FLAGS],
  ]);
});

Deno.test("an API server that does not answer is helm.unreachable; a kube context that does not exist is named as such", async () => {
  const unreachable = [
    // Helm 3, a kubeconfig whose server is down
    'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused\n',
    // Helm 4 words it in lower case
    'Error: kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused\n',
  ];
  for (const stderr of unreachable) {
    const { helm } = releaseHelm(4, [{ result: { code: 1, stderr } }]);
    for (const call of [() => helm.status("web"), () => helm.manifest("web"), () => helm.list()]) {
      await assert.rejects(call(), (e: HelmCommandError) => {
        assert.equal(e.code, "helm.unreachable", stderr);
        assert.match(
          e.message,
          / in namespace ns-helm4 \(kube context staging\) failed: Error: [kK]ubernetes cluster/,
        );
        assert.match(e.hint!, /`kubectl --context staging get namespaces`/);
        return true;
      });
    }
  }
  const noContext = releaseHelm(4, [{
    result: {
      code: 1,
      stderr: 'Error: kubernetes cluster unreachable: context "nosuchcontext" does not exist\n',
    },
  }]);
  await assert.rejects(noContext.helm.status("web"), (e: HelmCommandError) => {
    assert.equal(e.code, "helm.context");
    assert.match(e.hint!, /no kube context staging: `kubectl config get-contexts`/);
    return true;
  });
  const { helm } = releaseHelm(3, [{ result: { code: 1, stderr: unreachable[0] } }], {
    namespace: "default",
  });
  await assert.rejects(helm.history("web"), (e: HelmCommandError) => {
    assert.match(e.message, /in namespace default \(kube context current\) failed/);
    assert.match(
      e.hint!,
      /kube context \(the current one\) does not answer.*`kubectl --context <context> get/,
    );
    return true;
  });
});

Deno.test("a missing kube credential plugin is a failure, not a release that does not exist", async () => {
  // Helm 3.17.3 with a kubeconfig whose user runs kubelogin, which is not installed: its last line is a URL.
  const stderr =
    'Error: Kubernetes cluster unreachable: Get "https://10.0.0.1:6443/version": getting credentials: ' +
    "exec: executable kubelogin not found\n\nIt looks like you are trying to use a client-go credential plugin " +
    "that is not installed.\n\nTo learn more about this feature, consult the documentation available at:\n" +
    "      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins\n";
  for (const call of ["status", "manifest"] as const) {
    const { helm } = releaseHelm(3, [{ result: { code: 1, stderr } }]);
    await assert.rejects(helm[call]("web"), (e: HelmCommandError) => {
      assert.equal(e.code, "helm.unreachable");
      assert.match(e.message, /failed: Error: Kubernetes cluster unreachable: .*kubelogin not found$/);
      return true;
    });
  }
});

Deno.test("Helm 3's --debug trace after the error is not quoted as the reason", async () => {
  const stderr = "Error: release: not found\n" +
    "helm.go:86: 2026-11-21 13:16:28.860683179 +0000 UTC m=+0.054582397 [debug] release: not found\n";
  const { helm } = releaseHelm(3, [{ result: { code: 1, stderr } }]);
  await assert.rejects(helm.history("web"), (e: HelmCommandError) => {
    assert.match(e.message, /failed: Error: release: not found$/);
    return true;
  });
});
