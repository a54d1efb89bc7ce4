// Benchmark of `helm fastcs publish` (not a test: prints tables). Against the same local registry (Debian
// docker-registry), round-robin so that load from other jobs falls on every case alike: publish 20 charts
// with helm fastcs publish (which also lints, renders the charts for the image policy, checks tags and
// what the registry holds, and reads every pushed tag back), the seeds' way (a sequential `helm package` +
// `helm push` loop over the same charts), and the publish again (all already published). Each round pushes
// to repositories of its own, so every first publish is one. Target: our wall time at most half of the
// loop's. CPU = user + system time of the process and all its children, from bash's `times` (the
// registry's own work is not in it). Medians of the rounds, with their range.
//
// --profile: where a first publish's time goes instead: every helm and git process (through a wrapper
// that times it: count, CPU, first start and last end), the pushes (from the first `pushing` to the last
// `pushed with` of the debug log) and the plugin's own CPU (total minus its children).
//
// Run after scripts/setup.sh: deno run -A scripts/bench_publish.ts [--rounds 5] [--profile]
import { join } from "node:path";
import { CLI_ARGS, tool } from "../tests/helpers.ts";
import { tempDir } from "../tests/support/files.ts";
import { createTestRepo } from "../tests/support/git_repo.ts";
import { envFor } from "../tests/support/publish.ts";
import { startRegistry } from "../tests/support/registry.ts";

const charts = 20;
const rounds = Number(Deno.args[Deno.args.indexOf("--rounds") + 1] || 5) || 5;
const profile = Deno.args.includes("--profile");

/** CPU seconds in the two lines of bash's `times` (the shell's, then its children's user and system). */
function timesCpu(stderr: string): number {
  const seconds = (t: string) => {
    const [, m, s] = t.match(/(\d+)m([\d.]+)s/)!;
    return Number(m) * 60 + Number(s);
  };
  return stderr.trim().split("\n").slice(-2).flatMap((l) => l.trim().split(/\s+/)).map(seconds)
    .reduce((a, b) => a + b, 0);
}

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
  return { wallMs, cpuMs: timesCpu(stderr) * 1000 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadAverage = async () => (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");

await using registry = await startRegistry();
await using repo = await createTestRepo(charts);
await Deno.remove(join(repo.dir, "charts/fastcs"), { recursive: true });
await Deno.remove(join(repo.dir, "schemas"), { recursive: true });
await repo.commit("only the benchmark charts");
const env = await envFor("helm4");
const publish = (repository: string) => [
  Deno.execPath(),
  ...CLI_ARGS,
  "publish",
  "--oci",
  `oci://${registry.host}/${repository}`,
  "--plain-http",
  "--tag",
  "1.0.0",
];
const loadBefore = await loadAverage();

if (profile) {
  await using bin = await tempDir();
  const log = join(bin.path, "processes.log");
  // A wrapper per tool that logs start, end, user and system time of every run.
  for (const [name, real] of [["helm", tool("helm4")], ["git", "/usr/bin/git"]]) {
    await Deno.writeTextFile(
      join(bin.path, name),
      `#!/bin/bash\nt=$(mktemp)\ns=$(date +%s.%N)\n/usr/bin/time -f "%U %S" -o "$t" ${real} "$@"\nrc=$?\n` +
        `echo "$s $(date +%s.%N) $(tail -1 "$t") ${name} $1" >> ${log}\nrm -f "$t"\nexit $rc\n`,
      { mode: 0o755 },
    );
  }
  const rows: string[][] = [];
  for (let round = 1; round <= rounds; round++) {
    await Deno.remove(log).catch(() => {});
    const t0 = Date.now() / 1000;
    const started = performance.now();
    const child = new Deno.Command("bash", {
      args: ["-c", `"$@" >/dev/null; rc=$?; times >&2; exit $rc`, "bench", ...publish(`profile-${round}`)],
      cwd: repo.dir,
      env: { ...env, HELM_BIN: join(bin.path, "helm"), PATH: `${bin.path}:${env.PATH}`, HELM_DEBUG: "1" },
      stdin: "null",
      stderr: "piped",
    }).spawn();
    const lines: { at: number; text: string }[] = [];
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const text of parts) lines.push({ at: (performance.now() - started) / 1000, text });
    }
    lines.push({ at: (performance.now() - started) / 1000, text: rest });
    await child.status;
    const wall = (performance.now() - started) / 1000;
    const cpu = timesCpu(lines.map((l) => l.text).join("\n"));
    const processes = (await Deno.readTextFile(log)).trim().split("\n").map((l) => l.split(" ")).map((
      [s, e, u, sys, name, sub],
    ) => ({
      start: Number(s) - t0,
      end: Number(e) - t0,
      cpu: Number(u) + Number(sys),
      what: `${name} ${sub}`,
    }));
    const groups = new Map<string, { n: number; cpu: number; from: number; to: number }>();
    for (const p of processes) {
      const g = groups.get(p.what) ?? { n: 0, cpu: 0, from: Infinity, to: 0 };
      groups.set(p.what, {
        n: g.n + 1,
        cpu: g.cpu + p.cpu,
        from: Math.min(g.from, p.start),
        to: Math.max(g.to, p.end),
      });
    }
    const pushes = lines.filter((l) => /^pushing /.test(l.text) || /: pushed with /.test(l.text));
    const childCpu = processes.reduce((a, p) => a + p.cpu, 0);
    const span = (from: number, to: number) => `${from.toFixed(2)}-${to.toFixed(2)} s`;
    rows.push([`round ${round}`, `${wall.toFixed(2)} s wall`, `${cpu.toFixed(2)} s CPU`, ""]);
    for (const [what, g] of [...groups].sort((a, b) => a[1].from - b[1].from)) {
      rows.push([`  ${what} (${g.n})`, span(g.from, g.to), `${g.cpu.toFixed(2)} s`, ""]);
    }
    if (pushes.length > 0) {
      const via = lines.filter((l) => /: pushed with distribution API/.test(l.text)).length;
      rows.push([
        `  pushes (${via} through the API)`,
        span(pushes[0].at, pushes.at(-1)!.at),
        "in process",
        "",
      ]);
      rows.push(["  read-back, artifacts, exit", span(pushes.at(-1)!.at, wall), "in process", ""]);
    }
    rows.push([
      "  the plugin itself (Deno; wrappers included)",
      "",
      `${(cpu - childCpu).toFixed(2)} s`,
      "",
    ]);
  }
  for (const r of rows) console.log(`| ${r[0].padEnd(46)} | ${r[1].padEnd(14)} | ${r[2].padEnd(12)} |`);
  console.log(
    `\nload average before ${loadBefore}, after ${await loadAverage()}; ${navigator.hardwareConcurrency} cores`,
  );
  Deno.exit(0);
}

await using out = await tempDir();
const results = { loop: [] as Timing[], ours: [] as Timing[], rerun: [] as Timing[] };
type Timing = { wallMs: number; cpuMs: number };
for (let round = 1; round <= rounds; round++) {
  results.ours.push(await timed(`"$@"`, publish(`ours-${round}`), repo.dir, env));
  results.loop.push(
    await timed(
      `helm=$1 out=$2 registry=$3 repository=$4
       for chart in charts/extra-*; do
         "$helm" package "$chart" --version 1.0.0 --app-version 1.0.0 -d "$out" >/dev/null || exit 1
         "$helm" push "$out/$(basename "$chart")-1.0.0.tgz" "oci://$registry/$repository" --plain-http 2>/dev/null || exit 1
       done`,
      [tool("helm4"), out.path, registry.host, `loop-${round}`],
      repo.dir,
      env,
    ),
  );
  results.rerun.push(await timed(`"$@"`, publish(`ours-${round}`), repo.dir, env));
}

// Ratios per round (each against the loop of its own round), then their median and range.
const ratio = (xs: Timing[], key: keyof Timing) => xs.map((x, i) => x[key] / results.loop[i][key]);
const cell = (values: number[], digits: number) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${
    Math.max(...values).toFixed(digits)
  })`;
const row = (name: string, xs: Timing[]) =>
  `| ${name.padEnd(58)} | ${cell(xs.map((x) => x.wallMs / 1000), 2).padEnd(16)} | ${
    cell(ratio(xs, "wallMs"), 2).padEnd(16)
  } | ${cell(xs.map((x) => x.cpuMs / 1000), 2).padEnd(16)} | ${cell(ratio(xs, "cpuMs"), 2).padEnd(16)} |`;
console.log(
  `| ${`case (${charts} charts, Helm 4, local registry, ${rounds} rounds)`.padEnd(58)} | wall s           ` +
    `| vs loop          | CPU s            | vs loop          |`,
);
console.log(`|${"-".repeat(60)}|${"-".repeat(18)}|${"-".repeat(18)}|${"-".repeat(18)}|${"-".repeat(18)}|`);
console.log(row("sequential helm package + helm push loop (the seeds' way)", results.loop));
console.log(row("helm fastcs publish (checks, lint, render, package, push)", results.ours));
console.log(row("helm fastcs publish again (all already published)", results.rerun));
console.log(
  `\nmedian (range) of ${rounds} rounds; target: publish's wall time at most 0.50 of the loop's; ` +
    `load average before ${loadBefore}, after ${await loadAverage()}; ${navigator.hardwareConcurrency} cores`,
);
