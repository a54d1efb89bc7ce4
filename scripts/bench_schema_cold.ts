// Cold benchmark of `helm fastcs schema` (not a test: it prints a table with the targets, never fails on
// speed). Each case is a whole process, started as users start it: the launcher the install hook writes
// (source mode: `deno run --cached-only ...`), and once through the real Helm 4. Beside each: the same job
// warm in this process (first call, then the median of warm calls), so the cost of starting (Deno, loading
// our modules and their dependencies, cold JIT) can be told apart from the work.
//
//   deno run -A scripts/bench_schema_cold.ts [--runs N]     (after scripts/setup.sh; default 11 runs)
//
// Cases: a 6,000-line generated values file (tests/support/values_corpus.ts), the largest real one of the
// corpus (grafana-community loki, 7,346 lines, 1,068 annotations), every chart of ../shared/corpus in one
// run (FASTCS_CORPUS elsewhere), and this repo's `schema --check`. Cases run round-robin (one run of each,
// then again) so that load from other processes spreads over all of them; the first round only warms file
// caches. Times are medians; CPU is user + system time of the whole process tree and peak RSS the largest
// resident set of one process, both from GNU time (`/usr/bin/time`).
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { copyRepo, run, sourceInstallEnv, tool } from "../tests/helpers.ts";
import { corpusDir } from "../tests/support/corpus.ts";
import { tempDir, tempRepo, writeTree } from "../tests/support/files.ts";
import { awkwardValues } from "../tests/support/values_corpus.ts";
import { planSchemas } from "../src/schema/plan.ts";
import { checkPlan } from "../src/schema/apply.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "11" } },
});
const RUNS = Number(flags.runs);

/** One whole-process case: a command, where it runs, and what it should stay under. */
interface Case {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
  /** CPU target in ms and peak RSS target in MiB, when the issue sets one. */
  cpuTargetMs?: number;
  rssTargetMiB?: number;
  /** Target text shown when it is not a plain limit. */
  note?: string;
  /** The same job in this process (undefined: no in-process equivalent). */
  inProcess?: () => Promise<unknown>;
  samples: { wallMs: number; cpuMs: number; rssMiB: number }[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

const lines = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

/** A repository holding the given charts (folder name -> source folder, copied), schemas generated once. */
async function chartsRepo(charts: Map<string, string>) {
  const repo = await tempRepo({}, "fastcs-bench-");
  await Deno.mkdir(join(repo.path, "charts"));
  for (const [name, source] of charts) {
    const cp = await run("cp", ["-a", source, join(repo.path, "charts", name)]);
    if (cp.code !== 0) throw new Error(`copying ${source}: ${cp.stderr}`);
    await Deno.remove(join(repo.path, "charts", name, "values.schema.json")).catch(() => {});
  }
  return repo;
}

/** The same job as `schema --check ARGS` in this process (planSchemas + checkPlan, as the command does). */
function planInProcess(cwd: string, extra: { k8sSchemaVersion?: string; schemas: boolean }) {
  return async () => {
    const plan = await planSchemas({
      cwd,
      chartsDir: join(cwd, "charts"),
      schemas: extra.schemas,
      overrides: { k8sSchemaVersion: extra.k8sSchemaVersion },
      only: [],
      warn: () => {},
      display: (p) => p.startsWith(cwd + "/") ? p.slice(cwd.length + 1) : p,
      fetchRef: () => Promise.reject(new Error("no network in the benchmark")),
    });
    const stale = await checkPlan(plan);
    if (stale.length > 0) throw new Error(`stale in ${cwd}: ${stale.map((s) => s.path).join(", ")}`);
  };
}

// --- set-up: the plugin installed in source mode, and one repository per case --------------------------
const repo = await copyRepo();
await using home = await tempDir();
await using denoDir = await tempDir();
const env = sourceInstallEnv(home.path, denoDir.path);
const install = await run(tool("helm4"), ["plugin", "install", repo], { env });
if (install.code !== 0) throw new Error(`plugin install failed: ${install.stderr}`);
const launcher = join(repo, "bin/helm-fastcs");

await using big = await tempRepo({
  "charts/big/Chart.yaml": "apiVersion: v2\nname: big\nversion: 0.1.0\n",
  "charts/big/values.yaml": awkwardValues(6000, 42),
}, "fastcs-bench-");
const bigLines = lines(await Deno.readTextFile(join(big.path, "charts/big/values.yaml")));

const corpus = corpusDir();
const lokiSource = join(corpus, "grafana-community_helm-charts/charts/loki");
await using loki = await chartsRepo(new Map([["loki", lokiSource]]));
const lokiLines = lines(await Deno.readTextFile(join(lokiSource, "values.yaml")));

// Every corpus chart in one repository: folder and Chart.yaml name prefixed with the corpus repository's
// owner, since both repositories have a tempo-distributed.
const corpusCharts = new Map<string, string>();
for await (const r of Deno.readDir(corpus)) {
  const chartsRoot = join(corpus, r.name, "charts");
  if (!r.isDirectory || !(await Deno.stat(chartsRoot).catch(() => null))) continue;
  for await (const c of Deno.readDir(chartsRoot)) {
    if (await Deno.stat(join(chartsRoot, c.name, "Chart.yaml")).catch(() => null)) {
      corpusCharts.set(`${r.name.split("_")[0]}-${c.name}`, join(chartsRoot, c.name));
    }
  }
}
await using all = await chartsRepo(corpusCharts);
let corpusLines = 0;
for (const name of corpusCharts.keys()) {
  const chartYaml = join(all.path, "charts", name, "Chart.yaml");
  const text = await Deno.readTextFile(chartYaml);
  await Deno.writeTextFile(chartYaml, text.replace(/^name:.*$/m, `name: ${name}`));
  corpusLines += lines(
    await Deno.readTextFile(join(all.path, "charts", name, "values.yaml")).catch(() => ""),
  );
}

const K8S = ["--k8s-schema-version", "v1.33.1"]; // loki's annotations use $k8s/ (no bundling: nothing fetched)
for (const dir of [big.path, loki.path, all.path]) {
  const r = await run(launcher, ["schema", "--no-schemas", ...K8S], { cwd: dir, env });
  if (r.code !== 0) throw new Error(`generating in ${dir} failed: ${r.stderr}`);
}
// A module that does nothing, run with the launcher's own command line: the floor of any run.
await writeTree(repo, { "bench_empty.ts": "" });
const launcherText = await Deno.readTextFile(launcher);
const emptyLauncher = join(repo, "bin/empty");
await Deno.writeTextFile(
  emptyLauncher,
  launcherText.replace(/'[^']*src\/main\.ts'/, `'${repo}/bench_empty.ts'`),
);
await Deno.chmod(emptyLauncher, 0o755);

const check = ["schema", "--check", "--no-schemas", ...K8S];
const cases: Case[] = [
  {
    name: "floor: the launcher running an empty module",
    cmd: emptyLauncher,
    args: [],
    cwd: repo,
    samples: [],
  },
  {
    name: `${bigLines}-line generated values file (launcher)`,
    cmd: launcher,
    args: check,
    cwd: big.path,
    cpuTargetMs: 70,
    rssTargetMiB: 50,
    inProcess: planInProcess(big.path, { schemas: false }),
    samples: [],
  },
  {
    name: `loki, ${lokiLines} lines, annotated (launcher)`,
    cmd: launcher,
    args: check,
    cwd: loki.path,
    cpuTargetMs: 70 * lokiLines / 6000,
    rssTargetMiB: 50,
    note: "scaled from 6,000 lines",
    inProcess: planInProcess(loki.path, { schemas: false, k8sSchemaVersion: "v1.33.1" }),
    samples: [],
  },
  {
    name: `corpus: ${corpusCharts.size} charts, ${corpusLines} lines, one run (launcher)`,
    cmd: launcher,
    args: check,
    cwd: all.path,
    cpuTargetMs: 300,
    inProcess: planInProcess(all.path, { schemas: false, k8sSchemaVersion: "v1.33.1" }),
    samples: [],
  },
  {
    name: "this repo: schema --check (launcher)",
    cmd: launcher,
    args: ["schema", "--check"],
    cwd: repo,
    inProcess: planInProcess(repo, { schemas: true }),
    samples: [],
  },
  {
    name: "this repo: helm fastcs schema --check (Helm 4)",
    cmd: tool("helm4"),
    args: ["fastcs", "schema", "--check"],
    cwd: repo,
    note: "helm's own start dominates",
    samples: [],
  },
  {
    name: "helm's own start: helm version (Helm 4)",
    cmd: tool("helm4"),
    args: ["version"],
    cwd: repo,
    samples: [],
  },
];

// --- whole processes, round-robin ---------------------------------------------------------------------
const loadBefore = loadAverage();
for (let round = 0; round <= RUNS; round++) {
  for (const c of cases) {
    const start = performance.now();
    const r = await run("/usr/bin/time", ["-f", "@@ %U %S %M", c.cmd, ...c.args], { cwd: c.cwd, env });
    const wallMs = performance.now() - start;
    const m = r.stderr.match(/@@ ([\d.]+) ([\d.]+) (\d+)\s*$/);
    if (r.code !== 0 || !m) throw new Error(`${c.name} failed (exit ${r.code}): ${r.stderr}`);
    if (round === 0) continue; // fills file caches
    c.samples.push({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMiB: Number(m[3]) / 1024 });
  }
}
const loadAfter = loadAverage();

// --- the same jobs warm, in this process ---------------------------------------------------------------
const warm = new Map<Case, { firstMs: number; warmMs: number }>();
for (const c of cases) {
  if (!c.inProcess) continue;
  let start = performance.now();
  await c.inProcess();
  const firstMs = performance.now() - start;
  const times: number[] = [];
  for (let i = 0; i < Math.max(5, RUNS); i++) {
    start = performance.now();
    await c.inProcess();
    times.push(performance.now() - start);
  }
  warm.set(c, { firstMs, warmMs: median(times) });
}

// --- the table -----------------------------------------------------------------------------------------
const helmStart = median(cases[cases.length - 1].samples.map((s) => s.cpuMs));
const header = [
  "case",
  "wall ms",
  "CPU ms",
  "peak RSS MiB",
  "in process: 1st / warm ms",
  "target CPU",
  "target RSS",
  "met",
];
const rows = cases.map((c) => {
  const cpu = median(c.samples.map((s) => s.cpuMs));
  const rss = median(c.samples.map((s) => s.rssMiB));
  const w = warm.get(c);
  let met = "-";
  if (c.cpuTargetMs !== undefined) {
    const ok = cpu <= c.cpuTargetMs && (c.rssTargetMiB === undefined || rss <= c.rssTargetMiB);
    met = ok ? "yes" : `no (CPU x${(cpu / c.cpuTargetMs).toFixed(2)})`;
  } else if (c.note === "helm's own start dominates") {
    const ours = cpu - helmStart;
    met = `ours ${ours.toFixed(0)} ms vs helm ${helmStart.toFixed(0)} ms: ${
      ours <= helmStart ? "yes" : "no"
    }`;
  }
  return [
    c.name,
    median(c.samples.map((s) => s.wallMs)).toFixed(0),
    cpu.toFixed(0),
    rss.toFixed(0),
    w ? `${w.firstMs.toFixed(0)} / ${w.warmMs.toFixed(1)}` : "-",
    c.cpuTargetMs !== undefined
      ? `<= ${c.cpuTargetMs.toFixed(0)} ms${c.note ? ` (${c.note})` : ""}`
      : c.note ?? "-",
    c.rssTargetMiB !== undefined ? `<= ${c.rssTargetMiB} MiB` : "-",
    met,
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(fmt(header));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const r of rows) console.log(fmt(r));
console.log(
  `\nmedians of ${RUNS} runs per case (round-robin); load average before ${loadBefore}, after ${loadAfter}; ` +
    `${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; ` +
    `corpus ${basename(corpus)} at ${corpus}`,
);
await Deno.remove(repo, { recursive: true });
