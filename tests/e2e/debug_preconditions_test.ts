// helm fastcs debug's preconditions and workload discovery on the local control plane, end to end (the
// rules are unit-tested in src/debug/*_test.ts): a container with no python on PATH, a python without
// debugpy, attaching without gdb, each said before anything is started; and a release with a Deployment,
// a DaemonSet and a Job, chosen with --workload (kubectl's short names), their pods found by the
// workloads' selectors. The exec environment's PATH starts with a folder the test changes between steps
// (what `python` and `gdb` are "in the image"), followed by the system's folders without gdb; kwok looks
// the program up with its own PATH, which is that one followed by this process's: so this process's PATH
// is the same gdb-less, python-less one while the cluster starts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, pathWithout, run, tool } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import { debugEnv, processes, PY_BIN, SAMPLE, simulatedContainer } from "../support/debug.ts";
import { tempDir } from "../support/files.ts";

const MULTI = {
  "Chart.yaml": "apiVersion: v2\nname: multi\nversion: 0.1.0\n",
  "templates/workloads.yaml": `{{- define "pod" }}
    metadata:
      labels: {app.kubernetes.io/instance: {{ .Release.Name }}, app.kubernetes.io/component: {{ .component }}}
    spec:
      restartPolicy: {{ .restart }}
      containers:
        - name: {{ .component }}
          image: ghcr.io/example/multi:1.0.0
          command: [python, -m, sample_service]
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-api}
spec:
  selector: {matchLabels: {app.kubernetes.io/instance: {{ .Release.Name }}, app.kubernetes.io/component: api}}
  template:
{{- include "pod" (dict "Release" .Release "component" "api" "restart" "Always") }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: {{ .Release.Name }}-agent}
spec:
  selector: {matchLabels: {app.kubernetes.io/instance: {{ .Release.Name }}, app.kubernetes.io/component: agent}}
  template:
{{- include "pod" (dict "Release" .Release "component" "agent" "restart" "Always") }}
---
apiVersion: batch/v1
kind: Job
metadata: {name: {{ .Release.Name }}-migrate}
spec:
  template:
{{- include "pod" (dict "Release" .Release "component" "migrate" "restart" "Never") }}
`,
};

Deno.test("helm fastcs debug: no python, no debugpy, no gdb said before anything starts; a DaemonSet, a Job and --workload", async (t) => {
  await using image = await tempDir("fastcs-image-");
  await using withoutGdb = await pathWithout("gdb");
  const noGdb = withoutGdb.path;
  await using container = await simulatedContainer();
  const path = Deno.env.get("PATH")!;
  Deno.env.set("PATH", noGdb);
  let cluster;
  try {
    cluster = await startCluster({
      execWorkDir: SAMPLE,
      execEnv: { PATH: `${image.path}:${noGdb}`, PYTHONDONTWRITEBYTECODE: "1" },
    });
  } finally {
    Deno.env.set("PATH", path);
  }
  await using _cluster = cluster;
  const env = debugEnv(cluster);
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  const python = join(image.path, "python");
  await using charts = await tempDir("fastcs-multi-");
  for (const [file, text] of Object.entries(MULTI)) {
    await Deno.mkdir(join(charts.path, "multi", file, ".."), { recursive: true });
    await Deno.writeTextFile(join(charts.path, "multi", file), text);
  }
  const installed = await helm("install", "multi", join(charts.path, "multi"));
  assert.equal(installed.code, 0, installed.stderr);
  const debug = (...args: string[]) =>
    cli(["debug", "multi", "--workload", "deploy/multi-api", "--timeout", "60", ...args], { env });

  await t.step("no python on the container's PATH", async () => {
    const r = await debug();
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /there is no python on PATH in container api of pod multi-api-\S+/);
    assert.match(r.stderr, /hint: debug needs the image's Python on PATH as python/);
  });

  await t.step("a python without debugpy", async () => {
    const python3 = (await run("sh", ["-c", "command -v python3"])).stdout.trim();
    await Deno.writeTextFile(python, `#!/bin/sh\nexec "${python3}" -S "$@"\n`);
    await Deno.chmod(python, 0o755);
    const r = await debug();
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /debugpy is not installed for \S+ in container api of pod multi-api-\S+/);
    await Deno.remove(python);
  });

  await t.step("attaching without gdb", async () => {
    await Deno.symlink(join(PY_BIN, "python"), python);
    const r = await debug();
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /attaching needs gdb, and container api of pod multi-api-\S+ has none on PATH/);
    assert.match(r.stderr, /hint: Add gdb to the image/);
    assert.equal(await processes("port-forward pod/multi-api", cluster), "", "nothing started");
    await Deno.remove(python);
  });

  await t.step("several workloads: listed; a DaemonSet and a Job chosen with --workload", async () => {
    await Deno.symlink(join(container.binDir, "python"), python);
    await Deno.symlink("/usr/bin/gdb", join(image.path, "gdb"));
    await container.run([join(PY_BIN, "python"), "-m", "sample_service"], SAMPLE);
    const listed = await cli(["debug", "multi", "--timeout", "10"], { env });
    assert.equal(listed.code, 5, listed.stderr);
    assert.match(
      listed.stderr,
      /release multi has several workloads: DaemonSet\/multi-agent, Deployment\/multi-api, Job\/multi-migrate/,
    );
    assert.match(listed.stderr, /hint: Choose one with --workload KIND\/NAME/);
    for (
      const [asked, workload, component] of [
        ["ds/multi-agent", "DaemonSet/multi-agent", "agent"],
        ["job/multi-migrate", "Job/multi-migrate", "migrate"],
        ["Deployment/multi-api", "Deployment/multi-api", "api"],
      ]
    ) {
      const r = await cli(
        ["debug", "multi", "--workload", asked, "--dry-run", "-o", "json", "--timeout", "60"],
        { env },
      );
      assert.equal(r.code, 0, r.stderr);
      const facts = JSON.parse(r.stdout);
      assert.deepEqual([facts.workload, facts.container, facts.mode, facts.pid], [
        workload,
        component,
        "attach",
        1,
      ]);
      assert.match(facts.pod, new RegExp(`^multi-${component}-`));
    }
    const unknown = await cli(["debug", "multi", "--workload", "sts/multi-api", "--timeout", "10"], { env });
    assert.equal(unknown.code, 5, unknown.stderr);
    assert.match(unknown.stderr, /release multi has no workload sts\/multi-api/);
  });
});
