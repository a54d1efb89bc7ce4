// Benchmark of `helm fastcs promote` (not a test: prints a table): in one run on the local control
// plane, the same change (a new image tag) applied to prod by a bare `helm upgrade --install --wait` and
// by `helm fastcs promote staging prod --yes` (which also reads and verifies the source, pulls the chart,
// renders and diffs, records provenance). Target: promote at most 1.5 times the bare upgrade. Measured
// twice: with pods Ready at once (promote's fixed cost against almost nothing) and with pods taking
// 3 s to start, as real ones do at least (image pull, interpreter start).
// Run after scripts/setup.sh and scripts/setup-kube.sh: deno run -A scripts/bench_promote.ts
import { join } from "node:path";
import { cli } from "../tests/helpers.ts";
import { tempDir } from "../tests/support/files.ts";
import { clusterWithChart } from "../tests/support/promote.ts";

const runs = 3;

async function measure(podStartMs: number): Promise<{ bare: number[]; ours: number[] }> {
  await using bed = await clusterWithChart("helm4", { podStartMs });
  const { registry, env } = bed;
  const bare: number[] = [];
  const ours: number[] = [];
  /** `helm upgrade --install RELEASE` of the pushed chart with image `tag`, waiting for its pods. */
  const install = async (release: string, context: "staging" | "prod", tag: string, ...args: string[]) => {
    const r = await bed.install(release, context, "--set", `image.tag=${tag}`, "--wait", ...args);
    if (r.code !== 0) throw new Error(`helm upgrade --install ${release}: ${r.stderr}`);
  };
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "fastcs.yaml"),
    `environments:\n  staging: {kubeContext: staging, namespace: staging}\n  prod: {kubeContext: prod, namespace: prod}\npromote:\n  chartRepository: ${registry.base}\n`,
  );
  for (let i = 0; i < runs; i++) {
    const tag = `2.${i}.0`;
    await install("ioc", "staging", tag);
    // The bare way: the same change straight into prod (a release of its own, so both start from the same state).
    let t = performance.now();
    await install("bare", "prod", tag, "--rollback-on-failure");
    bare.push(performance.now() - t);
    t = performance.now();
    const r = await cli(["promote", "staging", "prod", "--yes", "--plain-http"], { cwd: dir.path, env });
    ours.push(performance.now() - t);
    if (r.code !== 0) throw new Error(`promote: ${r.stderr}`);
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
