// helm fastcs debug on the local control plane, with real debugpy: the simulated pod's exec runs a real
// python locally (kwok ClusterExec) and its port-forward reaches the local debug adapter. The test plays
// VS Code: it attaches through the plugin's port-forward, sets a breakpoint and waits for `stopped`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { probeDap } from "../../src/debug/dap.ts";
import { cli, freePort, REPO, run, tool } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import {
  breakInTick,
  debugEnv,
  processes,
  PY_BIN,
  SAMPLE,
  sessionCacheHome,
  startPlugin,
} from "../support/debug.ts";
import { servicesChart, type TempDir, tempDir } from "../support/files.ts";
import { waitFor } from "../support/wait.ts";

const SOURCE = join(SAMPLE, "sample_service/__main__.py");
const python = join(PY_BIN, "python");

Deno.test("helm fastcs debug: launch and attach reach a breakpoint through the port-forward, and clean up", async (t) => {
  const launchPort = freePort();
  const attachPort = freePort();
  const editPort = freePort();
  const scriptPort = freePort();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: {
      [launchPort]: launchPort,
      [attachPort]: attachPort,
      [editPort]: editPort,
      [scriptPort]: scriptPort,
    },
  });
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  await t.step(
    "launch mode (autostart: false): the program starts under debugpy and stops at the breakpoint",
    async () => {
      const install = await helm(
        "install",
        "svc",
        join(REPO, "charts/fastcs"),
        "--set",
        "autostart=false",
        "--set",
        `debugPort=${launchPort}`,
        "--set-json",
        'command=["python","-m","sample_service"]',
        "--set-json",
        'args=["--from-values"]',
        "--wait",
      );
      assert.equal(install.code, 0, install.stderr);
      // --all-workers is for attach mode: refused from the values, before a pod is waited for, a liveness
      // probe lifted (a rollout) or the container inspected.
      const workers = await cli(
        ["debug", "svc", "--all-workers", "--lift-liveness-probe", "--timeout", "60"],
        { env: debugEnv(cluster) },
      );
      assert.equal(workers.code, 2, workers.stderr);
      assert.match(
        workers.stderr,
        /--all-workers attaches to running workers, and release svc is launched under/,
      );
      assert.doesNotMatch(workers.stderr, /liveness|probe|waiting/i);
      const plugin = startPlugin(cluster, ["svc", "-o", "json", "--timeout", "60"]);
      const facts = await plugin.facts();
      assert.equal(facts.mode, "launch");
      assert.equal(facts.pod, "svc-0");
      assert.deepEqual(facts.command.slice(-4), [
        "--wait-for-client",
        "-m",
        "sample_service",
        "--from-values",
      ]);
      // A dropped port-forward (kubectl ends it after one failed connection) is opened again on the
      // same local port, and debugpy answers through the new one.
      const first = await processes("port-forward pod/svc-0", cluster);
      assert.match(first, /^\d+ [^\n]*$/, `one port-forward: ${first}`);
      assert.doesNotMatch(plugin.stderr(), /opening it again/, "a warning before any drop once ready");
      const pid = Number(first.split(/\s+/)[0]);
      Deno.kill(pid, "SIGKILL");
      let second = "";
      await waitFor("a new port-forward", async () => {
        second = await processes("port-forward pod/svc-0", cluster);
        return second !== "" && !second.startsWith(`${pid} `);
      }, { timeoutMs: 10_000, details: () => plugin.stderr() });
      assert.match(second, new RegExp(`${facts.localPort}:${launchPort}`));
      assert.match(plugin.stderr(), /port-forward to pod svc-0 ended; opening it again on port \d+/);
      await waitFor(
        "debugpy to answer through the new port-forward",
        async () => (await probeDap(facts.localPort)) !== undefined,
        { timeoutMs: 30_000, intervalMs: 200, details: () => plugin.stderr() },
      );
      const hit = await breakInTick(facts.localPort);
      assert.equal(hit.path, SOURCE);
      assert.equal(hit.line, 6);
      hit.client.close();
      plugin.child.kill("SIGINT");
      const status = await plugin.child.status;
      assert.equal(status.code, 130, plugin.stderr());
      assert.equal(await processes(`debugpy --listen 127.0.0.1:${launchPort}`), "", "no debugpy left");
      assert.equal(await processes(`port-forward pod/svc-0`, cluster), "", "no port-forward left");
    },
  );

  await t.step(
    "launch mode with a console script: resolved to its entry point in the container",
    async () => {
      const install = await helm(
        "install",
        "script",
        join(REPO, "charts/fastcs"),
        "--set",
        "autostart=false",
        "--set",
        `debugPort=${scriptPort}`,
        "--set-json",
        'command=["sample-service"]',
        "--set-json",
        'args=["--x"]',
        "--wait",
      );
      assert.equal(install.code, 0, install.stderr);
      const plugin = startPlugin(cluster, ["script", "-o", "json", "--timeout", "60"]);
      const facts = await plugin.facts();
      const code = facts.command[facts.command.indexOf("-c") + 1];
      assert.match(code, /from sample_service\.__main__ import main as _entry/);
      assert.equal(facts.command.at(-1), "--x");
      const hit = await breakInTick(facts.localPort);
      assert.equal(hit.line, 6);
      hit.client.close();
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130);
      assert.equal(await processes(`debugpy --listen 127.0.0.1:${scriptPort}`), "");
    },
  );

  await t.step("attach mode (autostart: true): debugpy attaches to the running process", async () => {
    const service = new Deno.Command(python, {
      args: ["-m", "sample_service"],
      cwd: SAMPLE,
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const install = await helm(
        "install",
        "svc2",
        join(REPO, "charts/fastcs"),
        "--set",
        `debugPort=${attachPort}`,
        "--wait",
      );
      assert.equal(install.code, 0, install.stderr);
      const plugin = startPlugin(cluster, [
        "svc2",
        "--pid",
        String(service.pid),
        "-o",
        "json",
        "--timeout",
        "60",
      ]);
      const facts = await plugin.facts();
      assert.equal(facts.mode, "attach");
      const hit = await breakInTick(facts.localPort);
      assert.equal(hit.line, 6);
      await hit.client.request("disconnect", { terminateDebuggee: false });
      hit.client.close();
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130);
      assert.equal(await processes(`port-forward pod/svc2-0`, cluster), "", "no port-forward left");
    } finally {
      service.kill("SIGKILL");
      await service.status;
    }
  });

  await t.step(
    "editable: the PVC is mounted with pv-mounter and cleaned on exit; a pod never Ready times out",
    async () => {
      // A stand-in for pv-mounter, which needs sshfs, FUSE and an sshd image that cannot run here: it
      // records how it is called, so the exact invocation is checked, and what the session records hold
      // while it mounts (the mount must be recorded before it starts: a plugin killed then leaves a record).
      await using fake = await tempDir();
      const calls = join(fake.path, "calls.log");
      const recordsAtMount = join(fake.path, "records.log");
      const sessions = join(sessionCacheHome(cluster), "fastcs", "debug-sessions");
      await Deno.writeTextFile(
        join(fake.path, "pv-mounter"),
        `#!/bin/sh\necho "$@" >> ${calls}\nif [ "$1" = mount ]; then cat ${sessions}/*.json > ${recordsAtMount}; fi\n`,
      );
      await Deno.chmod(join(fake.path, "pv-mounter"), 0o755);
      const install = await helm(
        "install",
        "edit",
        join(REPO, "charts/fastcs"),
        "--set",
        "editable=true",
        "--set",
        "autostart=false",
        "--set",
        `debugPort=${editPort}`,
        "--set-json",
        'command=["python","-m","sample_service"]',
        "--wait",
      );
      assert.equal(install.code, 0, install.stderr);
      const plugin = startPlugin(
        cluster,
        ["edit", "-o", "json", "--no-editor", "--timeout", "60"],
        `${fake.path}:`,
      );
      const facts = await plugin.facts();
      assert.equal((facts as unknown as { editable: boolean }).editable, true);
      const mounted = (await Deno.readTextFile(calls)).trim().split(" ");
      assert.deepEqual(mounted.slice(0, 3), ["mount", "staging", "edit-develop"]);
      const recorded = await Deno.readTextFile(recordsAtMount);
      // Records are pretty-printed JSON, one object a file.
      assert.ok(
        recorded.includes(`"pvc": "edit-develop"`) &&
          recorded.includes(`"dir": ${JSON.stringify(mounted[3])}`),
        `the mount is in the session record before pv-mounter runs: ${recorded}`,
      );
      // With the PVC mounted, the source's local root is the mounted project folder, mapped onto /workspaces.
      const { attachConfiguration } = facts as unknown as { attachConfiguration: { pathMappings: unknown } };
      assert.deepEqual(attachConfiguration.pathMappings, [{
        localRoot: join(mounted[3], "workspaces"),
        remoteRoot: "/workspaces",
      }]);
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130);
      const lines = (await Deno.readTextFile(calls)).trim().split("\n");
      assert.deepEqual(lines[1].split(" "), ["clean", "staging", "edit-develop", mounted[3]]);
      assert.equal(await processes(`debugpy --listen 127.0.0.1:${editPort}`), "");

      const unready = await helm(
        "install",
        "stuck",
        join(REPO, "charts/fastcs"),
        "--set",
        "autostart=false",
        "--set-json",
        'podAnnotations={"fastcs.test/unready":"yes"}',
      );
      assert.equal(unready.code, 0, unready.stderr);
      const r = await cli(["debug", "stuck", "--timeout", "3"], { env: debugEnv(cluster) });
      assert.equal(r.code, 6);
      assert.match(r.stderr, /waiting for pod stuck-0 to be Ready/);
      assert.match(r.stderr, /pod stuck-0 of release stuck did not become Ready within 3 s/);
    },
  );
});

/** A folder whose `python` is a Python without debugpy (`-S`: no site-packages), like an image without it. */
async function pythonWithoutDebugpy(): Promise<TempDir> {
  const dir = await tempDir("fastcs-nodebugpy-");
  const python3 = (await run("sh", ["-c", "command -v python3"])).stdout.trim();
  assert.ok(python3, "python3 is needed (scripts/setup.sh installs it)");
  await Deno.writeTextFile(join(dir.path, "python"), `#!/bin/sh\nexec "${python3}" -S "$@"\n`);
  await Deno.chmod(join(dir.path, "python"), 0o755);
  return dir;
}

Deno.test("helm fastcs debug: errors name the release and namespace; no workload; an image without debugpy is diagnosed before anything starts", async () => {
  await using noDebugpy = await pythonWithoutDebugpy();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${noDebugpy.path}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
  });
  const debug = (...args: string[]) => cli(["debug", ...args], { env: debugEnv(cluster) });
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  const missing = await debug("nope");
  assert.equal(missing.code, 5);
  assert.match(missing.stderr, /release nope not found in namespace staging \(kube context staging\)/);

  await using other = await tempDir();
  await Deno.mkdir(join(other.path, "templates"));
  await Deno.writeTextFile(join(other.path, "Chart.yaml"), "apiVersion: v2\nname: other\nversion: 0.1.0\n");
  await Deno.writeTextFile(join(other.path, "values.yaml"), "replicas: 1\n");
  await Deno.writeTextFile(
    join(other.path, "templates/cm.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
  );
  assert.equal((await helm("install", "other", other.path)).code, 0);
  const noWorkload = await debug("other");
  assert.equal(noWorkload.code, 5);
  assert.match(
    noWorkload.stderr,
    /release other has no StatefulSet, Deployment, DaemonSet, Job in its manifest, so no pod to debug/,
  );

  // A services umbrella chart with fastcs as a sub-chart under the alias "ioc" (the fixture chart p47). The
  // image has no debugpy: every mode says so before anything is started, the dry run too.
  await using services = await tempDir();
  const umbrella = join(services.path, "p47");
  await servicesChart(umbrella);
  const installed = await helm(
    "install",
    "p47",
    umbrella,
    "--set-json",
    'ioc.command=["python","-m","sample_service"]',
    "--wait",
  );
  assert.equal(installed.code, 0, installed.stderr);
  const noDebugpyMessage =
    /debugpy is not installed for \S+ in container fastcs of pod p47-0\nhint: Add debugpy to the image \(e\.g\. `RUN pip install debugpy`/;
  for (const args of [["--dry-run"], []]) {
    const launch = await debug("p47", ...args, "--timeout", "20");
    assert.equal(launch.code, 6, launch.stderr);
    assert.match(launch.stderr, noDebugpyMessage);
    assert.doesNotMatch(launch.stderr, /Traceback/);
  }
  // Attach mode (autostart: true): said before the process search and before any attach.
  await helm("upgrade", "p47", umbrella, "--reuse-values", "--set", "ioc.autostart=true", "--wait");
  const attach = await debug("p47", "--timeout", "20");
  assert.equal(attach.code, 6, attach.stderr);
  assert.match(attach.stderr, noDebugpyMessage);
  assert.equal(await processes("port-forward pod/p47-0", cluster), "");
});
