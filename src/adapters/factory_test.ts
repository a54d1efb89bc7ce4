// The adapter factory and the pv-mounter adapter over a recording runner: one helm for all, Helm's major
// version asked once and only by the release commands whose flags differ, pv-mounter's argv.
import assert from "node:assert/strict";
import type { Context } from "../runtime/context.ts";
import { readHelmEnv } from "../runtime/helm_env.ts";
import { createLog } from "../runtime/log.ts";
import { recordingRunner } from "../runtime/recording_runner.ts";
import { adaptersOf } from "./factory.ts";

function context(runner: ReturnType<typeof recordingRunner>): Context {
  return {
    env: readHelmEnv({ HELM_BIN: "/opt/helm4" }),
    log: createLog({ debug: false, color: false, writeOut: () => {}, writeErr: () => {} }),
    cwd: "/work/repo",
    display: (p) => p,
    interactive: false,
    confirm: () => Promise.resolve(undefined),
    run: runner.run,
    start: runner.start,
    onInterrupt: () => () => {},
  };
}

Deno.test("release commands ask Helm's version once, and only where Helm 3 and 4 differ", async () => {
  const runner = recordingRunner([
    { cmd: "/opt/helm4", match: ["version"], result: { stdout: "v4.1.4" } },
    { cmd: "/opt/helm4", match: ["list"], result: { stdout: "[]" } },
    { cmd: "/opt/helm4", match: ["get", "values"], result: { stdout: '{"a":1}' } },
  ]);
  const adapters = adaptersOf(context(runner));
  const staging = adapters.releaseHelm({ context: "staging", namespace: "staging" });
  assert.deepEqual(await staging.values("ioc", true), { a: 1 });
  assert.deepEqual(runner.argvs(), [
    [
      "/opt/helm4",
      "get",
      "values",
      "ioc",
      "--all",
      "-o",
      "json",
      "--namespace",
      "staging",
      "--kube-context",
      "staging",
    ],
  ]);
  await staging.list();
  await adapters.releaseHelm({ namespace: "prod" }).list();
  assert.deepEqual(runner.argvs().slice(1), [
    ["/opt/helm4", "version", "--template", "{{.Version}}"],
    ["/opt/helm4", "list", "--max", "0", "-o", "json", "--namespace", "staging", "--kube-context", "staging"], // no --all on Helm 4
    ["/opt/helm4", "list", "--max", "0", "-o", "json", "--namespace", "prod"],
  ]);
  assert.ok(runner.calls.every((c) => c.options.cwd === "/work/repo"));
});

Deno.test("pv-mounter mounts and cleans a PVC of the target's namespace on a local folder", async () => {
  const runner = recordingRunner([{ cmd: "/usr/local/bin/pv-mounter" }]);
  const pv = adaptersOf(context(runner)).pvMounter("/usr/local/bin/pv-mounter", {
    context: "staging",
    namespace: "beamline",
  });
  await pv.mount("ioc-develop", "/tmp/ioc-develop-1");
  await pv.clean("ioc-develop", "/tmp/ioc-develop-1");
  assert.deepEqual(runner.argvs(), [
    ["/usr/local/bin/pv-mounter", "mount", "beamline", "ioc-develop", "/tmp/ioc-develop-1"],
    ["/usr/local/bin/pv-mounter", "clean", "beamline", "ioc-develop", "/tmp/ioc-develop-1"],
  ]);
});
