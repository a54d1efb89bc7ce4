// Benchmark of `helm fastcs debug` (not a test: prints a table): time from invoking the command to
// "ready to attach" (debugpy answering DAP through the port-forward) on an already-running pod, in launch
// mode, on the local control plane. Target: under 3 s. Run after scripts/setup.sh and
// scripts/setup-kube.sh: deno run -A scripts/bench_debug.ts
import { join } from "node:path";
import { freePort, REPO, run, tool } from "../tests/helpers.ts";
import { startCluster } from "../tests/support/cluster.ts";
import { PY_BIN, SAMPLE, startPlugin } from "../tests/support/debug.ts";

const port = freePort();
const runs = 5;
const times: number[] = [];
{
  await using cluster = await startCluster({
    execWorkDir: SAMPLE,
    execEnv: { PATH: `${PY_BIN}:/usr/bin:/bin` },
    forwards: { [port]: port },
  });
  const env = { KUBECONFIG: cluster.kubeconfig };
  const installed = await run(tool("helm4"), [
    "install",
    "svc",
    join(REPO, "charts/fastcs"),
    "--kube-context",
    "staging",
    "--set",
    "autostart=false",
    "--set",
    `debugPort=${port}`,
    "--set-json",
    'command=["python","-m","sample_service"]',
    "--wait",
  ], { env });
  if (installed.code !== 0) throw new Error(installed.stderr);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const plugin = startPlugin(cluster, ["svc", "-o", "json"]);
    await plugin.facts();
    times.push(performance.now() - t0);
    plugin.child.kill("SIGINT");
    await plugin.child.status;
  }
}
const mean = times.reduce((a, b) => a + b) / times.length;
console.log("| case                                             | runs | mean s | min s | max s | target |");
console.log("|--------------------------------------------------|------|--------|-------|-------|--------|");
console.log(
  `| helm fastcs debug: invocation to ready to attach  | ${runs}    | ${
    (mean / 1000).toFixed(2).padStart(6)
  } | ${(Math.min(...times) / 1000).toFixed(2)}  | ${(Math.max(...times) / 1000).toFixed(2)}  | < 3 s  |`,
);
