// The kubectl adapter over a recording runner: the target from Helm's environment, the global flags in
// front of every command, and `get -o json` parsed or handed back as the failed result. Outputs were
// captured from kubectl 1.34 on the test control plane (tests/support/cluster.ts).
import assert from "node:assert/strict";
import { readHelmEnv } from "../runtime/helm_env.ts";
import { recordingRunner } from "../runtime/recording_runner.ts";
import { createKubectl, describeTarget, kubeTarget } from "./kube.ts";

const cwd = "/work/repo";

Deno.test("kubeTarget: Helm's HELM_KUBECONTEXT, HELM_NAMESPACE and KUBECONFIG; namespace default", () => {
  assert.deepEqual(
    kubeTarget(
      readHelmEnv({ HELM_KUBECONTEXT: "prod", HELM_NAMESPACE: "beamline", KUBECONFIG: "/k/config" }),
    ),
    { context: "prod", namespace: "beamline", kubeconfig: "/k/config" },
  );
  assert.deepEqual(kubeTarget(readHelmEnv({ HELM_NAMESPACE: "" })), {
    context: undefined,
    namespace: "default",
    kubeconfig: undefined,
  });
  assert.equal(
    describeTarget({ context: "prod", namespace: "beamline" }),
    "namespace beamline (kube context prod)",
  );
  assert.equal(describeTarget({ namespace: "default" }), "namespace default (kube context current)");
});

Deno.test("kubectl: --kubeconfig, --context and --namespace before every command, run and start alike", async () => {
  const runner = recordingRunner([{ cmd: "kubectl" }]);
  const kubectl = createKubectl(
    runner.run,
    runner.start,
    { context: "staging", namespace: "ns-1", kubeconfig: "/k/config" },
    cwd,
  );
  const flags = ["--kubeconfig", "/k/config", "--context", "staging", "--namespace", "ns-1"];
  assert.deepEqual(kubectl.flags, flags);
  await kubectl.run(["rollout", "status", "statefulset/web"]);
  await kubectl.start(["port-forward", "pod/web-0", "5678:5678"]).exited;
  assert.deepEqual(runner.argvs(), [
    ["kubectl", ...flags, "rollout", "status", "statefulset/web"],
    ["kubectl", ...flags, "port-forward", "pod/web-0", "5678:5678"],
  ]);
  assert.deepEqual(runner.calls.map((c) => [c.via, c.options]), [["run", { cwd }], ["start", { cwd }]]);
});

Deno.test("kubectl: without a context or kubeconfig only --namespace; another kubectl executable", async () => {
  const runner = recordingRunner([{ cmd: "/opt/bin/kubectl" }]);
  const kubectl = createKubectl(runner.run, runner.start, { namespace: "default" }, cwd, "/opt/bin/kubectl");
  await kubectl.run(["get", "namespaces"]);
  assert.deepEqual(runner.argvs(), [["/opt/bin/kubectl", "--namespace", "default", "get", "namespaces"]]);
});

Deno.test("getJson: `kubectl get ... -o json` parsed; a failed kubectl comes back as `error`", async () => {
  // `kubectl get pods -l app=x -o json` in a namespace without such pods
  const emptyList = '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n' +
    '    "metadata": {\n        "resourceVersion": ""\n    }\n}\n';
  const noContext = { code: 1, stdout: "", stderr: 'error: context "nosuchcontext" does not exist\n' };
  const runner = recordingRunner([
    { match: ["--context", "staging"], result: { stdout: emptyList } },
    { match: ["--context", "nosuchcontext"], result: noContext },
  ]);
  const at = (context: string) =>
    createKubectl(runner.run, runner.start, { context, namespace: "ns-1" }, cwd);
  const { data, error } = await at("staging").getJson(["pods", "-l", "app.kubernetes.io/instance=web"]);
  assert.equal(error, undefined);
  assert.deepEqual(data, { apiVersion: "v1", items: [], kind: "List", metadata: { resourceVersion: "" } });
  assert.deepEqual(await at("nosuchcontext").getJson(["pods"]), { error: noContext });
  assert.deepEqual(runner.argvs(), [
    [
      "kubectl",
      "--context",
      "staging",
      "--namespace",
      "ns-1",
      "get",
      "pods",
      "-l",
      "app.kubernetes.io/instance=web",
      "-o",
      "json",
    ],
    ["kubectl", "--context", "nosuchcontext", "--namespace", "ns-1", "get", "pods", "-o", "json"],
  ]);
});
