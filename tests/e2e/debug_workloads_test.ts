// helm fastcs debug on releases that are not of the fastcs chart, with real debugpy on the local control
// plane: an umbrella chart in the style of epics-containers' ioc-instance (a library sub-chart, values under
// `ioc-instance:`, PID 1 a Python wrapper whose child is the program) and a plain Deployment with two
// replicas running a multi-process server (a parent and two workers), plus the fastcs chart as an aliased
// sub-chart. The containers' processes run in a PID namespace of their own (tests/support/debug.ts
// simulatedContainer: kwok's exec runs on this host, so without it /proc would show the whole machine).
// The test plays VS Code: it attaches through the plugin's port-forward with the pathMappings the plugin
// printed, sets a breakpoint and waits for `stopped`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, freePort, run, tool } from "../helpers.ts";
import { startCluster } from "../support/cluster.ts";
import {
  breakInTick,
  debugEnv,
  processes,
  PY_BIN,
  SAMPLE,
  simulatedContainer,
  startPlugin,
} from "../support/debug.ts";
import { copyFixtureChart, servicesChart, tempDir } from "../support/files.ts";

const python = join(PY_BIN, "python");

interface Facts {
  profile: string;
  workload: string;
  pod: string;
  container: string;
  mode: string;
  pid?: number;
  localPort: number;
  command: string[];
  attachConfiguration: { pathMappings: { localRoot: string; remoteRoot: string }[] };
}

Deno.test("helm fastcs debug: an ioc-instance-style release and a plain Deployment, attached by process search and --pid", async (t) => {
  const iocPort = freePort();
  const webPort = freePort();
  await using container = await simulatedContainer();
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${container.binDir}:/usr/bin:/bin`, PYTHONDONTWRITEBYTECODE: "1" },
    forwards: { [iocPort]: iocPort, [webPort]: webPort },
  });
  const helm = (...args: string[]) =>
    run(tool("helm4"), [...args, "--kube-context", "staging"], { env: { KUBECONFIG: cluster.kubeconfig } });
  await using charts = await tempDir();

  await t.step(
    "ioc-instance style: the workload from the manifest, the program is the child of PID 1",
    async () => {
      const chart = join(charts.path, "ioc-umbrella");
      await copyFixtureChart("ioc-umbrella", chart);
      const installed = await helm("install", "bl01", chart, "--wait");
      assert.equal(installed.code, 0, installed.stderr);
      // PID 1 a Python wrapper (as stdio-socket is), the program its child.
      await container.run(
        [python, join(SAMPLE, "stdio_socket.py"), "--", python, "-m", "sample_service"],
        SAMPLE,
      );
      const plugin = startPlugin(cluster, [
        "bl01",
        "--remote-port",
        String(iocPort),
        "--local-root",
        "tests/testdata",
        "-o",
        "json",
        "--timeout",
        "60",
      ]);
      const facts = await plugin.facts() as unknown as Facts;
      assert.deepEqual(
        [facts.profile, facts.workload, facts.pod, facts.container, facts.mode, facts.pid],
        ["ioc-instance", "StatefulSet/bl01", "bl01-0", "bl01", "attach", 2],
      );
      assert.deepEqual(facts.command.slice(-2), ["--pid", "2"]);
      assert.match(plugin.stderr(), /attaching to PID 2: \S+python -m sample_service/);
      // remoteRoot: the working folder of the process in the container.
      assert.deepEqual(facts.attachConfiguration.pathMappings, [{ localRoot: SAMPLE, remoteRoot: SAMPLE }]);
      const hit = await breakInTick(facts.localPort, facts.attachConfiguration.pathMappings[0]);
      assert.deepEqual([hit.path, hit.line], [join(SAMPLE, "sample_service/__main__.py"), 6]);
      await hit.client.request("disconnect", { terminateDebuggee: false });
      hit.client.close();
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130, plugin.stderr());
      assert.equal(await processes("port-forward pod/bl01-0", cluster), "", "no port-forward left");
    },
  );

  await t.step(
    "a Deployment with 2 replicas and a parent + 2 workers: listed, then --pid and --pod; a local copy of the source binds",
    async () => {
      const chart = join(charts.path, "web");
      await copyFixtureChart("web", chart);
      const installed = await helm("install", "web", chart, "--wait");
      assert.equal(installed.code, 0, installed.stderr);
      await container.run([python, "-m", "sample_service.server", "--workers", "2"], SAMPLE);
      const env = debugEnv(cluster);
      const pods = (await cluster.kubectl(
        "get",
        "pods",
        "-n",
        "staging",
        "-l",
        "app.kubernetes.io/instance=web",
        "-o",
        "jsonpath={.items[*].metadata.name}",
      )).stdout.trim().split(" ").sort();
      assert.equal(pods.length, 2);

      const listed = await cli(["debug", "web", "--remote-port", String(webPort), "--timeout", "30"], {
        env,
      });
      assert.equal(listed.code, 5, listed.stderr);
      assert.match(
        listed.stderr,
        new RegExp(`pod ${pods[0]}: the first Ready of 2 pods of Deployment/web-web \\(--pod to choose\\)`),
      );
      assert.match(
        listed.stderr,
        new RegExp(`several Python processes run in container web of pod ${pods[0]}:`),
      );
      const worker = /^\s+(\d+)\s+\S+python -m sample_service worker-1$/m.exec(listed.stderr);
      assert.ok(worker, listed.stderr);
      assert.match(listed.stderr, /^\s+1\s+\S+python -m sample_service\.server --workers 2$/m);
      assert.match(listed.stderr, /hint: Choose one with --pid/);
      assert.equal(await processes("port-forward pod/web-web", cluster), "", "nothing started");

      // The source is a local copy elsewhere: the breakpoint is set in the local file and binds through the
      // printed pathMappings (localRoot: --local-root; remoteRoot: the process's working folder).
      await using local = await tempDir("fastcs-local-source-");
      assert.equal((await run("cp", ["-a", join(SAMPLE, "sample_service"), local.path])).code, 0);
      const plugin = startPlugin(cluster, [
        "web",
        "--pod",
        pods[1],
        "--pid",
        worker[1],
        "--remote-port",
        String(webPort),
        "--local-root",
        local.path,
        "-o",
        "json",
        "--timeout",
        "60",
      ]);
      const facts = await plugin.facts() as unknown as Facts;
      assert.deepEqual(
        [facts.profile, facts.workload, facts.pod, facts.container, facts.pid],
        ["plain", "Deployment/web-web", pods[1], "web", Number(worker[1])],
      );
      assert.deepEqual(facts.attachConfiguration.pathMappings, [{
        localRoot: local.path,
        remoteRoot: SAMPLE,
      }]);
      const hit = await breakInTick(facts.localPort, facts.attachConfiguration.pathMappings[0]);
      assert.deepEqual([hit.path, hit.line], [join(local.path, "sample_service/__main__.py"), 6]);
      await hit.client.request("disconnect", { terminateDebuggee: false });
      hit.client.close();
      plugin.child.kill("SIGINT");
      assert.equal((await plugin.child.status).code, 130, plugin.stderr());
      assert.equal(await processes(`port-forward pod/${pods[1]}`, cluster), "", "no port-forward left");
    },
  );

  await t.step(
    "the fastcs chart as an aliased sub-chart: its profile, workload and launch plan",
    async () => {
      await container.end(); // launch mode runs the program from the exec: no process search
      const umbrella = join(charts.path, "p47");
      await servicesChart(umbrella);
      const installed = await helm("install", "p47", umbrella, "--wait");
      assert.equal(installed.code, 0, installed.stderr);
      const env = debugEnv(cluster);
      const script = await cli(["debug", "p47", "--dry-run", "--timeout", "20"], { env });
      assert.equal(script.code, 5, "the console script cannot be resolved in the simulated container");
      assert.match(
        script.stderr,
        /fastcs-example is not a Python console script in container fastcs of pod p47-0/,
      );
      await helm(
        "upgrade",
        "p47",
        umbrella,
        "--reuse-values",
        "--set-json",
        'ioc.command=["python","-m","sample_service"]',
        "--wait",
      );
      const planned = await cli(["debug", "p47", "--dry-run", "-o", "json", "--timeout", "20"], { env });
      assert.equal(planned.code, 0, planned.stderr);
      const facts = JSON.parse(planned.stdout);
      assert.deepEqual(
        [facts.profile, facts.workload, facts.pod, facts.mode],
        ["fastcs", "StatefulSet/p47", "p47-0", "launch"],
      );
      // The exec runs the launch wrapper (src/debug/launcher.ts) around the debugpy command line.
      const exec = facts.commands[0] as string[];
      assert.deepEqual(exec.slice(exec.indexOf("exec"), exec.indexOf("--") + 3), [
        "exec",
        "p47-0",
        "-c",
        "fastcs",
        "--",
        "python",
        "-c",
      ]);
      assert.equal(
        exec.slice(exec.indexOf("--") + 4).join(" "),
        "python -Xfrozen_modules=off -m debugpy --listen 127.0.0.1:5678 --wait-for-client -m sample_service ioc P47",
      );
      assert.deepEqual(facts.command, exec.slice(exec.indexOf("--") + 4));
      assert.match(facts.commands[1].join(" "), /port-forward pod\/p47-0 :5678/);
      assert.equal(await processes("port-forward pod/p47-0", cluster), "");
    },
  );
});
