// Benchmark of `helm fastcs debug` (not a test: prints a table): time from invoking the command to
// "ready to attach" (debugpy answering DAP through the port-forward) on an already-running pod, in launch
// mode, on the local control plane. Target: under 3 s. Run after scripts/setup.sh and
// scripts/setup-kube.sh: deno run -A scripts/bench_debug.ts
import { join } from "node:path";
import { freePort, REPO, run, spawnCli, tool, toolsBin } from "../tests/helpers.ts";
import { startCluster } from "../tests/support/cluster.ts";

const port = freePort();
const pyBin = join(toolsBin(), "..", "py-bin");
const samples = join(REPO, "tests/testdata");
const cluster = await startCluster({
  execWorkDir: samples,
  execEnv: { PATH: `${pyBin}:/usr/bin:/bin` },
  forwards: { [port]: port },
});
const runs = 5;
const times: number[] = [];
try {
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
    const child = spawnCli(["debug", "svc", "-o", "json"], {
      env: {
        HELM_BIN: tool("helm4"),
        HELM_KUBECONTEXT: "staging",
        HELM_NAMESPACE: "staging",
        KUBECONFIG: cluster.kubeconfig,
        PATH: `${toolsBin()}:${Deno.env.get("PATH")}`,
      },
    });
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n}\n")) { // the end of the session facts (one indented JSON document)
      const { value, done } = await reader.read();
      if (done) throw new Error("the plugin ended before it was ready");
      text += value;
    }
    times.push(performance.now() - t0);
    reader.releaseLock();
    child.kill("SIGINT");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
} finally {
  await cluster.stop();
}
const mean = times.reduce((a, b) => a + b) / times.length;
console.log("| case                                             | runs | mean s | min s | max s | target |");
console.log("|--------------------------------------------------|------|--------|-------|-------|--------|");
console.log(
  `| helm fastcs debug: invocation to ready to attach  | ${runs}    | ${
    (mean / 1000).toFixed(2).padStart(6)
  } | ${(Math.min(...times) / 1000).toFixed(2)}  | ${(Math.max(...times) / 1000).toFixed(2)}  | < 3 s  |`,
);
