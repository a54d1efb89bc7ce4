// helm fastcs debug in launch mode when the program ends right after the debugger attaches, on the local
// control plane with real debugpy: debugpy's adapter process (which debugpy starts beside the program and
// which inherits its stdout and stderr) outlives the program while a client stays connected, so the exec
// that launched it must not wait for it. The session ends by itself, says the program's exit code, exits 12
// and leaves nothing running, whether the client (VS Code) disconnects on `terminated` or stays connected.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectDap } from "../../src/debug/dap.ts";
import { freePort, REPO, run, tool } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import { breakInTick, processes, PY_BIN, SAMPLE, startPlugin } from "../support/debug.ts";

Deno.test("helm fastcs debug: a launched program that ends right after the debugger attaches ends the session with its exit code", async (t) => {
  const port = freePort();
  const tickPort = freePort();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [port]: port, [tickPort]: tickPort },
  });
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  const install = await helm(
    "install",
    "quick",
    join(REPO, "charts/fastcs"),
    "--set",
    "autostart=false",
    "--set",
    `debugPort=${port}`,
    "--set-json",
    'command=["python","-m","sample_service.exits"]',
    "--set-json",
    'args=["3"]',
    "--wait",
  );
  assert.equal(install.code, 0, install.stderr);

  for (const client of ["disconnects on terminated", "stays connected"]) {
    await t.step(`the client ${client}`, async () => {
      const plugin = startPlugin(cluster, ["quick", "-o", "json", "--timeout", "60"]);
      const facts = await plugin.facts();
      assert.equal(facts.mode, "launch");
      const dap = await connectDap(facts.localPort);
      try {
        await dap.request("initialize", {
          clientID: "test",
          adapterID: "debugpy",
          linesStartAt1: true,
          columnsStartAt1: true,
          pathFormat: "path",
        });
        const attached = dap.request("attach", { justMyCode: false }, 20_000);
        await dap.event("initialized", 20_000);
        await dap.request("configurationDone");
        await attached;
        await dap.event("terminated", 20_000);
        if (client === "disconnects on terminated") {
          await dap.request("disconnect", { terminateDebuggee: false }, 5_000).catch(() => {});
        }
        const status = await Promise.race([
          plugin.child.status,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
        ]);
        assert.ok(status, `the session did not end within 20 s:\n${plugin.stderr()}`);
        assert.equal(status.code, 12, plugin.stderr());
        assert.match(plugin.stderr(), /exits\.py ending with 3/);
        assert.match(plugin.stderr(), /the program ended \(exit code 3\)/);
      } finally {
        dap.close();
        if (!(await Promise.race([plugin.child.status, Promise.resolve(undefined)]))) {
          plugin.child.kill("SIGKILL");
          await plugin.child.status;
        }
      }
      assert.equal(await processes(`127.0.0.1:${port}`), "", "no debugpy left");
      assert.equal(await processes(`debugpy/adapter .*--port ${port}( |$)`), "", "no debugpy adapter left");
      assert.equal(await processes("port-forward pod/quick-0", cluster), "", "no port-forward left");
    });
  }

  await t.step(
    "Ctrl+C while the client is attached: the program, debugpy and its adapter are ended",
    async () => {
      const installed = await helm(
        "install",
        "ticks",
        join(REPO, "charts/fastcs"),
        "--set",
        "autostart=false",
        "--set",
        `debugPort=${tickPort}`,
        "--set-json",
        'command=["python","-m","sample_service"]',
        "--wait",
      );
      assert.equal(installed.code, 0, installed.stderr);
      const plugin = startPlugin(cluster, ["ticks", "-o", "json", "--timeout", "60"]);
      const facts = await plugin.facts();
      const hit = await breakInTick(facts.localPort);
      assert.equal(hit.line, 6);
      assert.notEqual(
        await processes(`debugpy/adapter .*--port ${tickPort}( |$)`),
        "",
        "debugpy's adapter runs while attached",
      );
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130, plugin.stderr());
      hit.client.close();
      assert.equal(await processes(`127.0.0.1:${tickPort}`), "", "no debugpy left");
      assert.equal(
        await processes(`debugpy/adapter .*--port ${tickPort}( |$)`),
        "",
        "no debugpy adapter left",
      );
      assert.equal(await processes("port-forward pod/ticks-0", cluster), "", "no port-forward left");
    },
  );
});

Deno.test("a debug test that fails mid-session: disposing the cluster ends what kubectl exec launched in the simulated pod", async () => {
  const port = freePort();
  const cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [port]: port },
  });
  const listen = `debugpy --listen 127.0.0.1:${port} `;
  try {
    const install = await run(tool("helm4"), [
      "install",
      "svc",
      join(REPO, "charts/fastcs"),
      "--set",
      "autostart=false",
      "--set",
      `debugPort=${port}`,
      "--set-json",
      'command=["python","-m","sample_service"]',
      "--kube-context",
      "staging",
      "--wait",
    ], { env: { KUBECONFIG: cluster.kubeconfig } });
    assert.equal(install.code, 0, install.stderr);
    const plugin = startPlugin(cluster, ["svc", "-o", "json", "--timeout", "60"]);
    await plugin.facts();
    // Nobody ends the session (as when a test fails before its end): the launched debugpy runs "in the pod".
    plugin.child.kill("SIGKILL");
    await plugin.child.status;
    assert.notEqual(await processes(listen), "", "the launched debugpy runs");
  } finally {
    await cluster.stop();
  }
  assert.equal(await processes(listen), "", "nothing kwok's exec started is left");
});
