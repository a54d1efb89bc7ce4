// helm fastcs debug --all-workers on the local control plane with real debugpy: the simulated container's
// PID 1 is a multi-process server shaped like gunicorn (a Python parent and two Python workers). Each
// worker gets its own debugpy (remote ports N and N+1) and its own port-forward; a breakpoint is hit in
// both; launch.json gets a configuration per worker and a compound one; the session record holds both
// port-forwards, and after a SIGKILL `debug clean` ends them.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, freePorts } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import {
  breakInTick,
  debugEnv,
  installWeb,
  processes,
  PY_BIN,
  SAMPLE,
  sessionCacheHome,
  simulatedContainer,
  startPlugin,
} from "../support/debug.ts";
import { tempDir } from "../support/files.ts";

interface Worker {
  pid: number;
  remotePort: number;
  localPort: number;
  attachConfiguration: { name: string; connect: { port: number } };
}

Deno.test("helm fastcs debug --all-workers: one debugpy and one port-forward per worker, a compound configuration, recorded and cleaned", async () => {
  const [port] = freePorts(2); // the second worker's is the next one
  await using container = await simulatedContainer();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${container.binDir}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [port]: port, [port + 1]: port + 1 },
  });
  await using work = await tempDir("fastcs-workers-");
  await installWeb(cluster, work.path);
  await container.run([join(PY_BIN, "python"), "-m", "sample_service.server", "--workers", "2"], SAMPLE);

  const env = debugEnv(cluster);
  const both = await cli(["debug", "web", "--all-workers", "--pid", "1", "--timeout", "30"], { env });
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /--all-workers and --pid do not go together/);

  const planned = await cli(
    [
      "debug",
      "web",
      "--all-workers",
      "--remote-port",
      String(port),
      "--dry-run",
      "-o",
      "json",
      "--timeout",
      "30",
    ],
    { env },
  );
  assert.equal(planned.code, 0, planned.stderr);
  const commands = (JSON.parse(planned.stdout).commands as string[][]).map((c) =>
    c.slice(c.indexOf("--namespace") + 2)
  );
  assert.equal(commands.length, 4);
  assert.match(commands[0].join(" "), new RegExp(`^port-forward pod/web-web-\\S+ :${port}$`));
  assert.match(commands[1].join(" "), new RegExp(`debugpy --listen 127\\.0\\.0\\.1:${port} --pid \\d+$`));
  assert.match(commands[2].join(" "), new RegExp(`^port-forward pod/web-web-\\S+ :${port + 1}$`));
  assert.match(commands[3].join(" "), new RegExp(`debugpy --listen 127\\.0\\.0\\.1:${port + 1} --pid \\d+$`));
  assert.equal(await processes("port-forward pod/web-web", cluster), "", "a dry run starts nothing");

  const launchJson = join(work.path, "launch.json");
  const plugin = startPlugin(cluster, [
    "web",
    "--all-workers",
    "--remote-port",
    String(port),
    "--write-launch",
    launchJson,
    "-o",
    "json",
    "--timeout",
    "60",
  ]);
  const facts = await plugin.facts() as unknown as {
    workers: Worker[];
    compound: { name: string; configurations: string[] };
  };
  assert.equal(facts.workers.length, 2, plugin.stderr());
  assert.deepEqual(facts.workers.map((w) => w.remotePort), [port, port + 1]);
  assert.match(plugin.stderr(), /attaching to PID \d+: \S+python -m sample_service worker-0/);
  assert.match(plugin.stderr(), /attaching to PID \d+: \S+python -m sample_service worker-1/);
  assert.notEqual(facts.workers[0].localPort, facts.workers[1].localPort);
  for (const w of facts.workers) {
    assert.equal(w.attachConfiguration.connect.port, w.localPort);
    assert.equal(w.attachConfiguration.name, `helm fastcs debug web PID ${w.pid}`);
  }
  assert.deepEqual(facts.compound, {
    name: "helm fastcs debug web (all workers)",
    configurations: facts.workers.map((w) => w.attachConfiguration.name),
  });
  const written = JSON.parse(await Deno.readTextFile(launchJson));
  assert.deepEqual(
    written.configurations.map((c: { name: string }) => c.name),
    facts.compound.configurations,
  );
  assert.deepEqual(written.compounds, [facts.compound]);

  // Each worker stops at the breakpoint through its own port-forward.
  for (const w of facts.workers) {
    const hit = await breakInTick(w.localPort);
    assert.deepEqual([hit.path, hit.line], [join(SAMPLE, "sample_service/__main__.py"), 6]);
    await hit.client.request("disconnect", { terminateDebuggee: false });
    hit.client.close();
  }

  // Both port-forwards are in the record; a SIGKILLed session's are ended by debug clean.
  const dir = join(sessionCacheHome(cluster), "fastcs", "debug-sessions");
  const [file] = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json"));
  const record = JSON.parse(await Deno.readTextFile(join(dir, file.name)));
  assert.deepEqual(
    record.workers.map((w: { pid: number; localPort: number }) => [w.pid, w.localPort]),
    facts.workers.map((w) => [w.pid, w.localPort]),
  );
  assert.equal((await processes("port-forward pod/web-web", cluster)).split("\n").length, 2);
  plugin.child.kill("SIGKILL");
  await plugin.child.status;
  const cleaned = await cli(["debug", "clean", "-o", "json"], { env });
  assert.equal(cleaned.code, 0, cleaned.stderr);
  const [report] = JSON.parse(cleaned.stdout).cleaned;
  assert.deepEqual(
    report.steps.map((s: { what: string; result: string }) => s.result),
    ["ended", "ended"],
  );
  assert.match(
    report.steps[0].what,
    new RegExp(`kubectl port-forward to worker PID ${facts.workers[0].pid}`),
  );
  assert.equal(await processes("port-forward pod/web-web", cluster), "", "no port-forward left");
});
