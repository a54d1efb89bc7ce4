// Benchmark of `helm fastcs publish` (not a test: prints a table). In one run, against the same local
// registry (Debian docker-registry): publish 20 charts with helm fastcs publish (which also lints, renders
// the charts for the image policy, checks tags and what the registry holds, and reads every pushed tag
// back), and the seeds' way, a sequential `helm package` + `helm push` loop over the same charts. Target:
// our wall time at most half of the loop's. The CPU column (user + system time of the process and all its
// children, from bash's `times`; the registry's own work is not in it) shows what parallelism cannot hide
// on a loaded machine.
// Run after scripts/setup.sh: deno run -A scripts/bench_publish.ts
import { join } from "node:path";
import { CLI_ARGS, tool } from "../tests/helpers.ts";
import { tempDir } from "../tests/support/files.ts";
import { createTestRepo } from "../tests/support/git_repo.ts";
import { envFor } from "../tests/support/publish.ts";
import { startRegistry } from "../tests/support/registry.ts";

const charts = 20;

/** Runs a bash script; returns its wall time and the CPU time of bash and all its children, in ms. */
async function timed(script: string, args: string[], cwd: string, env: Record<string, string>) {
  const t0 = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", `${script}\nrc=$?; times >&2; exit $rc`, "bench", ...args],
    cwd,
    env,
    stdin: "null",
  }).output();
  const wallMs = performance.now() - t0;
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${script} failed:\n${stderr}`);
  // `times` prints two lines: the shell's user and system time, then its children's.
  const seconds = (t: string) => {
    const [, m, s] = t.match(/(\d+)m([\d.]+)s/)!;
    return Number(m) * 60 + Number(s);
  };
  const cpuMs = stderr.trim().split("\n").slice(-2).flatMap((l) => l.trim().split(/\s+/)).map(seconds)
    .reduce((a, b) => a + b, 0) * 1000;
  return { wallMs, cpuMs };
}

{
  await using registry = await startRegistry();
  await using repo = await createTestRepo(charts);
  await Deno.remove(join(repo.dir, "charts/fastcs"), { recursive: true });
  await Deno.remove(join(repo.dir, "schemas"), { recursive: true });
  await repo.commit("only the benchmark charts");
  const env = await envFor("helm4");
  const publish = [
    Deno.execPath(),
    ...CLI_ARGS,
    "publish",
    "--oci",
    `oci://${registry.host}/ours`,
    "--plain-http",
    "--tag",
    "1.0.0",
  ];

  const ours = await timed(`"$@"`, publish, repo.dir, env);
  await using out = await tempDir();
  const loop = await timed(
    `helm=$1 out=$2 registry=$3
     for chart in charts/extra-*; do
       "$helm" package "$chart" --version 1.0.0 --app-version 1.0.0 -d "$out" >/dev/null || exit 1
       "$helm" push "$out/$(basename "$chart")-1.0.0.tgz" "oci://$registry/loop" --plain-http 2>/dev/null || exit 1
     done`,
    [tool("helm4"), out.path, registry.host],
    repo.dir,
    env,
  );
  const rerun = await timed(`"$@"`, publish, repo.dir, env);

  const row = (name: string, r: { wallMs: number; cpuMs: number }) =>
    `| ${name.padEnd(58)} | ${(r.wallMs / 1000).toFixed(2).padStart(6)} | ${
      (r.wallMs / loop.wallMs).toFixed(2).padEnd(7)
    } | ${(r.cpuMs / 1000).toFixed(2).padStart(5)} | ${(r.cpuMs / loop.cpuMs).toFixed(2).padEnd(7)} |`;
  console.log(
    `| case (${charts} charts, Helm 4, local registry)${
      " ".repeat(19)
    } | wall s | vs loop | CPU s | vs loop |`,
  );
  console.log(`|${"-".repeat(60)}|--------|---------|-------|---------|`);
  console.log(row("sequential helm package + helm push loop (the seeds' way)", loop));
  console.log(row("helm fastcs publish (checks, lint, render, package, push)", ours));
  console.log(row("helm fastcs publish again (all already published)", rerun));
  console.log(
    `\ntarget: publish's wall time at most 0.50 of the loop's; ${navigator.hardwareConcurrency} cores`,
  );
}
