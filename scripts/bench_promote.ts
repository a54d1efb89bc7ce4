// Benchmark of `helm fastcs promote` (not a test: prints a table): in one run on the local control
// plane, the same change (a new image tag) applied to prod by a bare `helm upgrade --install --wait` and
// by `helm fastcs promote staging prod --yes` (which also reads and verifies the source, pulls the chart,
// renders and diffs, records provenance). Target: promote at most 1.5 times the bare upgrade. Measured
// twice: with pods Ready at once (promote's fixed cost against almost nothing) and with pods taking
// 3 s to start, as real ones do at least (image pull, interpreter start).
// Run after scripts/setup.sh and scripts/setup-kube.sh: deno run -A scripts/bench_promote.ts
import { join } from "node:path";
import { cli, REPO, run, tool, toolsBin } from "../tests/helpers.ts";
import { startCluster } from "../tests/support/cluster.ts";
import { startRegistry } from "../tests/support/registry.ts";

const runs = 3;

async function measure(podStartMs: number): Promise<{ bare: number[]; ours: number[] }> {
  const cluster = await startCluster({ podStartMs });
  const registry = await startRegistry();
  const bare: number[] = [];
  const ours: number[] = [];
  try {
    const home = await Deno.makeTempDir();
    const env = {
      HELM_BIN: tool("helm4"),
      KUBECONFIG: cluster.kubeconfig,
      HELM_DATA_HOME: join(home, "d"),
      HELM_CONFIG_HOME: join(home, "c"),
      HELM_CACHE_HOME: join(home, "k"),
      PATH: `${toolsBin()}:${Deno.env.get("PATH")}`,
    };
    const helm = async (...args: string[]) => {
      const r = await run(tool("helm4"), args, { env });
      if (r.code !== 0) throw new Error(`helm ${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    const pkg = await Deno.makeTempDir();
    await helm("package", join(REPO, "charts/fastcs"), "--version", "1.0.0", "-d", pkg);
    await helm("push", join(pkg, "fastcs-1.0.0.tgz"), registry.base, "--plain-http");
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      join(dir, "fastcs.yaml"),
      `environments:\n  staging: {kubeContext: staging, namespace: staging}\n  prod: {kubeContext: prod, namespace: prod}\npromote:\n  chartRepository: ${registry.base}\n`,
    );
    const chart = `${registry.base}/fastcs`;
    for (let i = 0; i < runs; i++) {
      const tag = `2.${i}.0`;
      await helm(
        "upgrade",
        "--install",
        "ioc",
        chart,
        "--version",
        "1.0.0",
        "--plain-http",
        "--kube-context",
        "staging",
        "-n",
        "staging",
        "--set",
        `image.tag=${tag}`,
        "--wait",
      );
      // The bare way: the same change straight into prod (a release of its own, so both start from the same state).
      let t = performance.now();
      await helm(
        "upgrade",
        "--install",
        "bare",
        chart,
        "--version",
        "1.0.0",
        "--plain-http",
        "--kube-context",
        "prod",
        "-n",
        "prod",
        "--set",
        `image.tag=${tag}`,
        "--wait",
        "--rollback-on-failure",
      );
      bare.push(performance.now() - t);
      t = performance.now();
      const r = await cli(["promote", "staging", "prod", "--yes", "--plain-http"], { cwd: dir, env });
      ours.push(performance.now() - t);
      if (r.code !== 0) throw new Error(`promote: ${r.stderr}`);
    }
  } finally {
    await registry.stop();
    await cluster.stop();
  }
  return { bare, ours };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length / 1000;
const rows: string[] = [];
for (const podStartMs of [0, 3000]) {
  const { bare, ours } = await measure(podStartMs);
  const when = podStartMs ? "pods start in 3 s" : "pods Ready at once";
  rows.push(
    `| helm upgrade --install --wait (${when})`.padEnd(66) +
      ` | ${runs}    | ${mean(bare).toFixed(2).padStart(6)} | 1.00  |`,
  );
  rows.push(
    `| helm fastcs promote staging prod --yes (${when})`.padEnd(66) +
      ` | ${runs}    | ${mean(ours).toFixed(2).padStart(6)} | ${(mean(ours) / mean(bare)).toFixed(2)}  |`,
  );
}
console.log("| case (one release, local control plane, Helm 4)".padEnd(66) + " | runs | mean s | ratio |");
console.log("|" + "-".repeat(65) + "|------|--------|-------|");
for (const row of rows) console.log(row);
console.log("\ntarget: ratio at most 1.50");
