// helm fastcs debug --command on the local control plane with real debugpy: a plain release (a Deployment
// that is not of the fastcs chart) gets a program launched under debugpy in its container, given on the
// command line (split at spaces, or a JSON list; `python -c CODE` too); a breakpoint is hit, Ctrl+C ends it
// all, and a program that ends right after the debugger attached ends the session with its exit code. kwok's
// exec runs on this host, so the container's own processes are not simulated here: what is checked is the
// launch.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectDap } from "../../src/debug/dap.ts";
import { cli, freePort } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import {
  breakInTick,
  debugEnv,
  installWeb,
  processes,
  PY_BIN,
  SAMPLE,
  startPlugin,
} from "../support/debug.ts";
import { tempDir } from "../support/files.ts";

Deno.test("helm fastcs debug --command: a program launched under debugpy in a plain release", async (t) => {
  const port = freePort();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [port]: port },
  });
  await using work = await tempDir("fastcs-command-");
  await installWeb(cluster, work.path);
  const env = debugEnv(cluster);

  await t.step("a command line: launched, a breakpoint hit, Ctrl+C ends it all", async () => {
    const plugin = startPlugin(cluster, [
      "web",
      "--command",
      "python -m sample_service --from-command",
      "--remote-port",
      String(port),
      "-o",
      "json",
      "--timeout",
      "60",
    ]);
    const facts = await plugin.facts() as unknown as {
      profile: string;
      mode: string;
      command: string[];
      localPort: number;
    };
    assert.deepEqual([facts.profile, facts.mode], ["plain", "launch"]);
    assert.deepEqual(facts.command.slice(-4), [
      "--wait-for-client",
      "-m",
      "sample_service",
      "--from-command",
    ]);
    assert.match(
      plugin.stderr(),
      /--command: the program is launched beside the container's own processes, which keep running/,
    );
    const hit = await breakInTick(facts.localPort);
    assert.deepEqual([hit.path, hit.line], [join(SAMPLE, "sample_service/__main__.py"), 6]);
    plugin.child.kill("SIGINT");
    assert.equal((await plugin.child.status).code, 130, plugin.stderr());
    hit.client.close();
    assert.match(plugin.stderr(), /sample service started \['--from-command'\]/);
    assert.equal(await processes(`127.0.0.1:${port}`), "", "no debugpy left");
    assert.equal(await processes("port-forward pod/web-web", cluster), "", "no port-forward left");
  });

  await t.step("a JSON list; the program's exit code ends the session", async () => {
    const plugin = startPlugin(cluster, [
      "web",
      "--command",
      '["python", "-m", "sample_service.exits", "4"]',
      "--remote-port",
      String(port),
      "-o",
      "json",
      "--timeout",
      "60",
    ]);
    const facts = await plugin.facts();
    const dap = await connectDap(facts.localPort);
    try {
      await dap.request("initialize", { clientID: "test", adapterID: "debugpy", pathFormat: "path" });
      const attached = dap.request("attach", { justMyCode: false }, 20_000);
      await dap.event("initialized", 20_000);
      await dap.request("configurationDone");
      await attached;
      assert.equal((await plugin.child.status).code, 12, plugin.stderr());
      assert.match(plugin.stderr(), /the program ended \(exit code 4\)/);
    } finally {
      dap.close();
    }
  });

  await t.step(
    "python -c CODE: the code launched under debugpy, a breakpoint in the module it runs hit",
    async () => {
      const plugin = startPlugin(cluster, [
        "web",
        "--command",
        '["python", "-c", "import sys, sample_service.__main__ as m; sys.exit(m.main())", "--from-code"]',
        "--remote-port",
        String(port),
        "-o",
        "json",
        "--timeout",
        "60",
      ]);
      const facts = await plugin.facts() as unknown as { command: string[]; localPort: number };
      assert.deepEqual(facts.command.slice(-4), [
        "--wait-for-client",
        "-c",
        "import sys, sample_service.__main__ as m; sys.exit(m.main())",
        "--from-code",
      ]);
      const hit = await breakInTick(facts.localPort);
      assert.deepEqual([hit.path, hit.line], [join(SAMPLE, "sample_service/__main__.py"), 6]);
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130, plugin.stderr());
      hit.client.close();
      assert.match(plugin.stderr(), /sample service started \['--from-code'\]/);
      assert.equal(await processes(`127.0.0.1:${port}`), "", "no debugpy left");
    },
  );

  await t.step("usage errors: with --pid or --all-workers, an empty or malformed command", async () => {
    for (
      const [args, message] of [
        [["--command", "python -m x", "--pid", "3"], /--command and --pid do not go together/],
        [["--command", "python -m x", "--all-workers"], /--command and --all-workers do not go together/],
        [["--command", " "], /--command takes a command line or a JSON list of strings/],
        [["--command", "[1]"], /--command takes a command line or a JSON list of strings, not "\[1\]"/],
      ] as const
    ) {
      const r = await cli(["debug", "web", ...args, "--timeout", "10"], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /Traceback|\n {4}at /);
    }
  });
});
