// helm fastcs debug's probe report, --lift-liveness-probe and session records on the local control plane,
// with real debugpy: the StatefulSet's pod is replaced by the real kube-controller-manager when its template
// changes (kwok simulates the pods), `debug list` shows a session whose plugin was SIGKILLed as stale, and
// `debug clean` ends exactly what it left (the kubectl port-forward and exec on this host, the launched
// debugpy "in the pod", the lifted probe). kwok runs no probes: what the report says is checked, not a
// restart.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, freePort, REPO, run, tool } from "../helpers.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import {
  breakInTick,
  debugEnv,
  processes,
  PY_BIN,
  SAMPLE,
  sessionCacheHome,
  startPlugin,
} from "../support/debug.ts";
import { waitFor } from "../support/wait.ts";

const python = join(PY_BIN, "python");
const PROBE = { httpGet: { path: "/healthz", port: 8000 }, periodSeconds: 5, failureThreshold: 4 };

interface Facts {
  localPort: number;
  probes: { liveness?: { safeSeconds: number; trippedSeconds: number }; summary: string };
  liftedLivenessProbe?: { workload: string; container: string; probe: typeof PROBE };
}

/** The StatefulSet's container's liveness probe in its pod template, and the uid of its pod. */
async function liveState(cluster: TestCluster, name: string) {
  const sts = await cluster.kubectl("get", "statefulset", name, "-n", "staging", "-o", "json");
  const pod = await cluster.kubectl(
    "get",
    "pod",
    `${name}-0`,
    "-n",
    "staging",
    "-o",
    "jsonpath={.metadata.uid}",
  );
  const containers = JSON.parse(sts.stdout).spec.template.spec.containers as {
    livenessProbe?: typeof PROBE;
  }[];
  return { probe: containers[0].livenessProbe, podUid: pod.stdout.trim() };
}

async function recordFiles(cluster: TestCluster): Promise<Record<string, unknown>[]> {
  const dir = join(sessionCacheHome(cluster), "fastcs", "debug-sessions");
  const found: Record<string, unknown>[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".json")) found.push(JSON.parse(await Deno.readTextFile(join(dir, e.name))));
    }
  } catch { /* no folder: no records */ }
  return found;
}

Deno.test("helm fastcs debug: the probe report, --lift-liveness-probe, and debug list/clean after a SIGKILL", async (t) => {
  const attachPort = freePort();
  const launchPort = freePort();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [attachPort]: attachPort, [launchPort]: launchPort },
  });
  const env = debugEnv(cluster);
  const debug = (...args: string[]) => cli(["debug", ...args], { env });
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  const service = new Deno.Command(python, {
    args: ["-m", "sample_service"],
    cwd: SAMPLE,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const installed = await helm(
      "install",
      "svc",
      join(REPO, "charts/fastcs"),
      "--set",
      `debugPort=${attachPort}`,
      "--set-json",
      `livenessProbe=${JSON.stringify(PROBE)}`,
      "--wait",
    );
    assert.equal(installed.code, 0, installed.stderr);
    const pid = String(service.pid);

    await t.step("the probe report: how long a pause may last, before anything starts", async () => {
      const planned = await debug("svc", "--pid", pid, "--dry-run", "-o", "json", "--timeout", "30");
      assert.equal(planned.code, 0, planned.stderr);
      const facts = JSON.parse(planned.stdout) as Facts & { commands: string[][] };
      assert.deepEqual(
        [facts.probes.liveness?.safeSeconds, facts.probes.liveness?.trippedSeconds],
        [3 * 5 + 1, 4 * 5 + 1],
      );
      assert.match(
        planned.stderr,
        /liveness probe: a pause at a breakpoint longer than 16 s \(at most 21 s\) restarts the container and ends the session \(httpGet every 5 s, 4 failures, timeout 1 s\); --lift-liveness-probe lifts it/,
      );
      const lift = await debug("svc", "--pid", pid, "--dry-run", "--lift-liveness-probe", "--timeout", "30");
      assert.equal(lift.code, 0, lift.stderr);
      assert.match(
        lift.stdout.split("\n")[0],
        /kubectl .*patch statefulset\/svc --type=json -p '\[\{"op":"test","path":"\/spec\/template\/spec\/containers\/0\/name","value":"fastcs"\},\{"op":"remove","path":"\/spec\/template\/spec\/containers\/0\/livenessProbe"\}\]'/,
      );
      assert.equal((await liveState(cluster, "svc")).probe?.periodSeconds, 5, "a dry run patches nothing");
      assert.deepEqual(await recordFiles(cluster), [], "nor records a session");
    });

    await t.step(
      "--lift-liveness-probe: a new pod without the probe is debugged; Ctrl+C puts the probe back",
      async () => {
        const before = await liveState(cluster, "svc");
        const plugin = startPlugin(cluster, ["svc", "--pid", pid, "--lift-liveness-probe", "-o", "json"]);
        const facts = await plugin.facts() as unknown as Facts;
        const during = await liveState(cluster, "svc");
        assert.equal(during.probe, undefined, "lifted from the StatefulSet's template");
        assert.notEqual(during.podUid, before.podUid, "a new pod (a rollout)");
        assert.equal(facts.liftedLivenessProbe?.workload, "StatefulSet/svc");
        assert.equal(facts.liftedLivenessProbe?.probe.periodSeconds, 5);
        assert.equal(
          facts.probes.summary,
          "liveness probe: none (lifted for this session), so pauses at a breakpoint are safe",
        );
        const [record] = await recordFiles(cluster);
        assert.deepEqual(record.liftedLivenessProbe, facts.liftedLivenessProbe, "recorded before the patch");
        const hit = await breakInTick(facts.localPort);
        assert.equal(hit.line, 6);
        await hit.client.request("disconnect", { terminateDebuggee: false });
        hit.client.close();
        plugin.child.kill("SIGINT");
        assert.equal((await plugin.child.status).code, 130, plugin.stderr());
        assert.match(plugin.stderr(), /liveness probe of container fastcs restored in StatefulSet\/svc/);
        assert.deepEqual(
          (await liveState(cluster, "svc")).probe,
          during.probe ?? facts.liftedLivenessProbe?.probe,
        );
        assert.deepEqual(await recordFiles(cluster), [], "the record is removed on a clean exit");
      },
    );

    await t.step(
      "a SIGKILLed session: listed as stale, debug clean ends its port-forward and restores the probe, once",
      async () => {
        const plugin = startPlugin(cluster, ["svc", "--pid", pid, "--lift-liveness-probe", "-o", "json"]);
        const facts = await plugin.facts() as unknown as Facts;
        // The process keeps the debugpy of the session before: it is reused, not injected again (a second
        // injection ends the first debugpy, and nothing answers any more).
        assert.match(
          plugin.stderr(),
          new RegExp(
            `port ${attachPort} in container fastcs of pod svc-0 is already listened on \\(PID \\d+: \\S+ \\S+debugpy/adapter .*\\): debugpy is not injected again`,
          ),
        );
        const hit = await breakInTick(facts.localPort);
        assert.equal(hit.line, 6);
        await hit.client.request("disconnect", { terminateDebuggee: false });
        hit.client.close();
        const live = await debug("list", "-o", "json");
        assert.equal(live.code, 0, live.stderr);
        assert.deepEqual(JSON.parse(live.stdout).map((s: { state: string }) => s.state), ["live"]);
        const leftAlone = await debug("clean");
        assert.equal(leftAlone.code, 0, leftAlone.stderr);
        assert.match(leftAlone.stderr, /is live \(PID \d+\): left alone/);
        plugin.child.kill("SIGKILL");
        await plugin.child.status;
        assert.notEqual(await processes("port-forward pod/svc-0", cluster), "", "an orphaned port-forward");
        assert.equal((await liveState(cluster, "svc")).probe, undefined);

        const listed = await debug("list", "-o", "json");
        const [stale] = JSON.parse(listed.stdout);
        assert.equal(stale.state, "stale");
        assert.equal(stale.release, "svc");
        assert.equal(stale.localPort, facts.localPort);
        const text = await debug("list");
        assert.match(
          text.stdout,
          /svc-\d+-\d+ {2}stale {2}release svc in namespace staging \(kube context staging\), pod svc-0/,
        );
        assert.match(text.stdout, /kubectl port-forward PID \d+/);
        assert.match(text.stdout, /liveness probe of container fastcs lifted from StatefulSet\/svc/);

        const cleaned = await debug("clean", "svc", "-o", "json");
        assert.equal(cleaned.code, 0, cleaned.stderr);
        const [report] = JSON.parse(cleaned.stdout).cleaned;
        assert.deepEqual(report.steps.map((s: { result: string }) => s.result), ["ended", "restored"]);
        assert.equal(report.removed, true);
        assert.equal(await processes("port-forward pod/svc-0", cluster), "", "the port-forward is gone");
        assert.equal((await liveState(cluster, "svc")).probe?.periodSeconds, 5, "the probe is back");
        assert.deepEqual(await recordFiles(cluster), []);
        const again = await debug("clean");
        assert.equal(again.code, 0);
        assert.match(again.stderr, /no stale debug sessions/);
      },
    );

    await t.step(
      "a process whose debugpy no longer listens, and a port taken by another program: said at once (exit 6)",
      async () => {
        // The adapter that listens for the service's debugpy ends (as when it crashed): debugpy stays loaded in
        // the service, and injecting it again would not bring it back.
        const adapter = (await processes(`debugpy/adapter .*--port ${attachPort}\\b`)).split(" ")[0];
        assert.match(adapter, /^\d+$/, "the service's debugpy adapter");
        Deno.kill(Number(adapter), "SIGKILL");
        await waitFor(
          "the adapter to end",
          async () => (await processes(`debugpy/adapter .*--port ${attachPort}\\b`)) === "",
          { timeoutMs: 10_000 },
        );
        const loaded = await debug("svc", "--pid", pid);
        assert.equal(loaded.code, 6, loaded.stderr);
        assert.match(
          loaded.stderr,
          new RegExp(
            `PID ${pid} in container fastcs of pod svc-0 already runs debugpy, but nothing listens on port ${attachPort} there`,
          ),
        );
        assert.match(loaded.stderr, /--remote-port/);
        const busyPort = freePort();
        const busy = new Deno.Command(python, {
          args: [
            "-c",
            `import socket, time; s = socket.socket(); s.bind(("127.0.0.1", ${busyPort})); s.listen(); time.sleep(120)`,
          ],
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          await waitFor(
            "the other program to listen",
            async () => (await run("ss", ["-Hltn", `sport = :${busyPort}`])).stdout.trim() !== "",
            { timeoutMs: 10_000 },
          );
          const taken = await debug("svc", "--pid", pid, "--remote-port", String(busyPort));
          assert.equal(taken.code, 6, taken.stderr);
          assert.match(
            taken.stderr,
            new RegExp(
              `port ${busyPort} in container fastcs of pod svc-0 is in use by another program \\(PID ${busy.pid}: \\S+ -c import socket`,
            ),
          );
        } finally {
          busy.kill("SIGKILL");
          await busy.status;
        }
      },
    );
  } finally {
    service.kill("SIGKILL");
    await service.status;
  }

  await t.step(
    "launch mode, SIGKILLed: clean ends the debugpy it launched in the pod, kubectl exec and the port-forward",
    async () => {
      const installed = await helm(
        "install",
        "launch",
        join(REPO, "charts/fastcs"),
        "--set",
        "autostart=false",
        "--set",
        `debugPort=${launchPort}`,
        "--set-json",
        'command=["python","-m","sample_service"]',
        "--wait",
      );
      assert.equal(installed.code, 0, installed.stderr);
      const plugin = startPlugin(cluster, ["launch", "-o", "json"]);
      const facts = await plugin.facts() as unknown as Facts & { command: string[] };
      assert.match(plugin.stderr(), /liveness probe: none, so pauses at a breakpoint are safe/);
      let record: Record<string, unknown> = {};
      await waitFor("the debugpy PID in the record", async () => {
        [record] = await recordFiles(cluster);
        return (record?.debugpy as { pid?: number } | undefined)?.pid !== undefined;
      }, { timeoutMs: 20_000, details: () => plugin.stderr() });
      const debugpy = record.debugpy as { pid: number; argv: string[] };
      assert.deepEqual(debugpy.argv, facts.command);
      const exec = record.exec as { pid: number };
      plugin.child.kill("SIGKILL");
      await plugin.child.status;
      const listen = `debugpy --listen 127.0.0.1:${launchPort}`;
      assert.match(await processes(listen), new RegExp(`^${debugpy.pid} `, "m"), "left running");

      const cleaned = await debug("clean", "-o", "json");
      assert.equal(cleaned.code, 0, cleaned.stderr);
      const [report] = JSON.parse(cleaned.stdout).cleaned;
      assert.deepEqual(
        report.steps.map((s: { what: string; result: string }) => `${s.what}: ${s.result}`),
        [
          `kubectl port-forward (PID ${(record.portForward as { pid: number }).pid}): ended`,
          `debugpy in container fastcs of pod launch-0 (PID ${debugpy.pid} there): ended`,
          `kubectl exec (PID ${exec.pid}): ${report.steps[2].result}`,
        ],
      );
      await waitFor("the launched debugpy to end", async () => (await processes(listen)) === "", {
        timeoutMs: 10_000,
      });
      assert.equal(await processes("port-forward pod/launch-0", cluster), "");
      const ps = await run("ps", ["-o", "stat=,args=", "-p", String(exec.pid)]);
      // Ended: gone, or a zombie until whatever adopted the orphan reaps it.
      assert.match(ps.stdout.trim(), /^(Z.*)?$/, `kubectl exec is gone: ${ps.stdout}`);
      assert.deepEqual(await recordFiles(cluster), []);
    },
  );
});
