// Benchmark of the local Kubernetes test harness (not a test: prints a table). Run after
// scripts/setup-kube.sh: deno run -A scripts/bench_cluster.ts. Target: a warm start under 20 s, from
// nothing to a Ready simulated node with namespaces, volumes and service accounts in place.
import { startCluster } from "../tests/support/cluster.ts";

const runs = 3;
const starts: number[] = [];
const stops: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const cluster = await startCluster();
  starts.push(performance.now() - t0);
  const t1 = performance.now();
  await cluster.stop();
  stops.push(performance.now() - t1);
}
const row = (name: string, xs: number[], target: string) =>
  `| ${name.padEnd(12)} | ${String(runs).padEnd(4)} | ${
    (xs.reduce((a, b) => a + b) / xs.length / 1000).toFixed(2).padStart(6)
  } | ${(Math.min(...xs) / 1000).toFixed(2).padStart(6)} | ${
    (Math.max(...xs) / 1000).toFixed(2).padStart(6)
  } | ${target.padEnd(6)} |`;
console.log("| phase        | runs | mean s | min s  | max s  | target |");
console.log("|--------------|------|--------|--------|--------|--------|");
console.log(row("start", starts, "< 20 s"));
console.log(row("stop", stops, "-"));
