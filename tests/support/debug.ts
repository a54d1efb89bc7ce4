// Shared by the debug tests and the debug benchmark: the sample Python service that simulated pods run
// (tests/testdata), the python with debugpy that scripts/setup.sh keeps, `helm fastcs debug` run in the
// background as Helm runs it, against a test cluster, a DAP client that plays VS Code, and a simulated
// container (a PID namespace) for the process search.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectDap, type DapClient } from "../../src/debug/dap.ts";
import { REPO, run, spawnCli, tool, toolsBin } from "../helpers.ts";
import type { TestCluster } from "./cluster.ts";
import { copyFixtureChart } from "./files.ts";
import { waitFor } from "./wait.ts";

/** Folder of the sample service (`python -m sample_service`, console script `sample-service`). */
export const SAMPLE = join(REPO, "tests/testdata");

/** The folder scripts/setup.sh keeps whose only entry is `python`: the tool cache's python with debugpy. */
export const PY_BIN = join(toolsBin(), "..", "py-bin");

/** The variables Helm gives the plugin for `cluster`'s kube context staging; `pathPrefix` goes first on PATH.
 * Helm's cache home (where debug sessions are recorded) is the cluster's own, not the user's. */
export function debugEnv(cluster: TestCluster, pathPrefix = ""): Record<string, string> {
  return {
    HELM_BIN: tool("helm4"),
    HELM_CACHE_HOME: sessionCacheHome(cluster),
    HELM_KUBECONTEXT: "staging",
    HELM_NAMESPACE: "staging",
    KUBECONFIG: cluster.kubeconfig,
    PATH: `${pathPrefix}${toolsBin()}:${Deno.env.get("PATH")}`,
  };
}

/** Helm's cache home of the debug tests on `cluster`: inside its folder (a shared one in the temporary
 * folder for an existing cluster). */
export function sessionCacheHome(cluster: TestCluster): string {
  return cluster.dir
    ? join(cluster.dir, "helm-cache")
    : join(Deno.env.get("TMPDIR") ?? "/tmp", "fastcs-test-helm-cache");
}

/** `helm fastcs debug ARGS` run as Helm runs it ({@link debugEnv}), in the background. */
export function startPlugin(cluster: TestCluster, args: string[], pathPrefix = "") {
  const child = spawnCli(["debug", ...args], { env: debugEnv(cluster, pathPrefix) });
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) stderr += t;
  })();
  return {
    child,
    stderr: () => stderr,
    /** The session facts (-o json: one indented JSON document) once the plugin says debugpy is ready. */
    async facts(): Promise<{ localPort: number; pod: string; mode: string; command: string[] }> {
      let text = "";
      while (!text.includes("\n}\n")) {
        const { value, done } = await stdout.read();
        if (done) throw new Error(`the plugin ended before it was ready:\n${stderr}`);
        text += value;
      }
      return JSON.parse(text.slice(0, text.indexOf("\n}\n") + 2));
    },
  };
}

async function connectWithRetry(port: number): Promise<DapClient> {
  for (let i = 0;; i++) {
    try {
      const c = await connectDap(port);
      await c.request("initialize", {
        clientID: "test",
        adapterID: "debugpy",
        linesStartAt1: true,
        columnsStartAt1: true,
        pathFormat: "path",
      });
      return c;
    } catch (error) {
      if (i > 20) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Attaches like VS Code with `pathMappings` (default: the sample service's folder on both sides), sets a
 * breakpoint in tick() of the local file `source` (default: `<localRoot>/sample_service/__main__.py`) and
 * returns the frame where it stopped.
 */
export async function breakInTick(
  port: number,
  mapping: { localRoot: string; remoteRoot: string } = { localRoot: SAMPLE, remoteRoot: SAMPLE },
  source = join(mapping.localRoot, "sample_service/__main__.py"),
): Promise<{ path: string; line: number; client: DapClient }> {
  const client = await connectWithRetry(port);
  const attached = client.request("attach", { justMyCode: false, pathMappings: [mapping] }, 20_000);
  await client.event("initialized", 20_000);
  const bp = await client.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line: 6 }] });
  assert.equal((bp.body!.breakpoints as { verified: boolean }[])[0].verified, true);
  await client.request("configurationDone");
  await attached;
  const stopped = await client.event("stopped", 20_000);
  const trace = await client.request("stackTrace", { threadId: stopped.body!.threadId });
  const top = (trace.body!.stackFrames as { source: { path: string }; line: number }[])[0];
  return { path: top.source.path, line: top.line, client };
}

/** Processes matching `pattern` (pgrep -af lines); with `cluster`, only kubectl processes pointed at it (another
 * test run on the machine uses the same pod names). */
export async function processes(pattern: string, cluster?: TestCluster): Promise<string> {
  const lines = (await run("pgrep", ["-af", pattern])).stdout.trim().split("\n").filter((l) => l !== "");
  return lines.filter((l) => !cluster || l.includes(`--kubeconfig ${cluster.kubeconfig} `)).join("\n");
}

/**
 * A stand-in for a container's processes, for kwok's simulated pods. kwok has no container runtime: its
 * `kubectl exec` runs the command on this host, where /proc shows every process of the machine (other
 * test runs' pythons included), so a process search there would mean nothing. This starts `argv` as PID 1
 * of a new PID namespace (`unshare --pid --mount-proc`, as a container runtime does) and makes the exec
 * environment's `python` enter that namespace (`nsenter`): the plugin's /proc reads, debugpy's attach and
 * gdb then see only these processes, with the container's PIDs. Limitation: there is one such namespace at
 * a time, shared by every simulated pod (kwok cannot run a command per pod); the network is the host's.
 *
 * Nothing of it outlives the test, whatever the path: `unshare` leads a process group of its own (`setsid`)
 * and the namespace's PID 1 dies with it (`--kill-child`), which kills every process of the namespace (those
 * that left the group too: debugpy's adapter starts a session of its own). `end()` and dispose SIGKILL that
 * group and wait until no process of the namespace is left; when the test process dies without disposing
 * (an uncaught error, a signal, a CI time-out), `unshare` gets SIGKILL from the kernel (`setpriv
 * --pdeathsig KILL`), and the namespace goes with it.
 */
export interface SimulatedContainer extends AsyncDisposable {
  /** The `python` for the cluster's exec PATH (put its folder first). */
  binDir: string;
  /** Starts `argv` (in `cwd`) as the PID 1 of a new namespace that exec'd pythons enter; one at a time. */
  run(argv: string[], cwd: string): Promise<void>;
  /** Ends the namespace's processes (its whole process group and PID namespace); exec'd pythons run on the
   * host again. */
  end(): Promise<void>;
  /** Host PIDs of the processes still in the current (or last) namespace or in its process group, for leak
   * checks: empty after `end()`. */
  leftover(): Promise<number[]>;
}

/** Host PIDs of the processes in process group `pgid` or in the PID namespace `pidNs` (a `pid:[inode]` link). */
async function processesOf(pgid: number, pidNs: string): Promise<number[]> {
  const found: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => "");
    // Fields after the command's closing parenthesis: state, ppid, pgrp, …
    const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    const ns = await Deno.readLink(`/proc/${e.name}/ns/pid`).catch(() => "");
    const zombie = stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    if (!zombie && (group === pgid || (pidNs !== "" && ns === pidNs))) found.push(Number(e.name));
  }
  return found;
}

/** Prepares a {@link SimulatedContainer} (needs root, or unprivileged user namespaces). */
export async function simulatedContainer(): Promise<SimulatedContainer> {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-container-" });
  const pidFile = join(dir, "pid1");
  const root = Deno.uid() === 0;
  const realPython = join(PY_BIN, "python");
  await Deno.writeTextFile(
    join(dir, "python"),
    [
      "#!/bin/sh",
      // A python started by one already inside (debugpy's injector, a launch wrapper) stays where it is.
      `if [ -s ${pidFile} ] && [ -z "$FASTCS_IN_CONTAINER" ]; then`,
      "  export FASTCS_IN_CONTAINER=1",
      `  exec nsenter -t "$(cat ${pidFile})" ${
        root ? "" : "-U --preserve-credentials "
      }-p -m --wd="$PWD" -- ${realPython} "$@"`,
      "fi",
      `exec ${realPython} "$@"`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(join(dir, "python"), 0o755);
  let current: Deno.ChildProcess | undefined;
  // The last namespace's process group (unshare's PID) and PID namespace, for end() and leftover().
  let group = 0;
  let pidNs = "";
  const end = async () => {
    await Deno.writeTextFile(pidFile, "");
    if (current) {
      try {
        Deno.kill(-group, "SIGKILL");
      } catch { /* the group is gone */ }
      await current.status;
      current = undefined;
    }
    if (group) {
      await waitFor(
        "the simulated container's processes to end",
        async () => (await processesOf(group, pidNs)).length === 0,
        {
          timeoutMs: 10_000,
          details: async () => `left: ${(await processesOf(group, pidNs)).join(" ")}`,
        },
      );
    }
  };
  return {
    binDir: dir,
    run: async (argv, cwd) => {
      await end();
      current = new Deno.Command("setsid", {
        args: [
          "setpriv",
          "--pdeathsig",
          "KILL",
          "unshare",
          ...(root ? [] : ["--user", "--map-root-user"]),
          "--pid",
          "--fork",
          "--mount-proc",
          "--kill-child",
          ...argv,
        ],
        cwd,
        stdout: "null",
        stderr: "null",
      }).spawn();
      // setsid and setpriv exec in turn: the PID is unshare's, the leader of its own group.
      const unshare = current.pid;
      group = unshare;
      pidNs = "";
      let pid1 = "";
      await waitFor("the simulated container's PID 1", async () => {
        pid1 = (await run("pgrep", ["-P", String(unshare)])).stdout.trim();
        return pid1 !== "";
      }, { timeoutMs: 10_000 });
      pidNs = await Deno.readLink(`/proc/${pid1}/ns/pid`);
      await Deno.writeTextFile(pidFile, pid1);
    },
    end,
    leftover: () => group ? processesOf(group, pidNs) : Promise.resolve([]),
    [Symbol.asyncDispose]: async () => {
      try {
        await end();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  };
}

/** Installs the fixture chart `web` (tests/testdata/charts/web, copied into `dir`) as release `web` with one
 * replica in kube context staging of `cluster` with Helm 4, and waits for it. */
export async function installWeb(cluster: TestCluster, dir: string): Promise<void> {
  const chart = join(dir, "web");
  await copyFixtureChart("web", chart);
  const installed = await run(tool("helm4"), [
    "install",
    "web",
    chart,
    "--set",
    "replicaCount=1",
    "--kube-context",
    "staging",
    "--wait",
  ], { env: { KUBECONFIG: cluster.kubeconfig } });
  assert.equal(installed.code, 0, installed.stderr);
}
