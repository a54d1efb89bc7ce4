// Benchmark of `helm fastcs schema` (not a test: it prints a table and the targets, and never fails on
// speed). Run: deno task bench (after scripts/setup.sh).
//   - in process: parse + generate for a ~6,000-line awkward values file and for charts/fastcs;
//     target under 100 ms per 6,000-line file;
//   - whole command: `helm fastcs schema --check` on this repo in source mode, through the real Helm 4
//     and through the launcher alone; target under 1 s.
import { join } from "node:path";
import { generateSchema } from "../src/schema/generate.ts";
import { defaultConfig } from "../src/schema/config.ts";
import { parseYamlSource } from "../src/chart/yaml_source.ts";
import { loadSchemaChecks } from "../src/schema/schema_check.ts";
import { awkwardValues } from "../tests/support/values_corpus.ts";
import { copyRepo, REPO, run, sourceInstallEnv, tool } from "../tests/helpers.ts";
import { tempDir } from "../tests/support/files.ts";

interface Row {
  case: string;
  runs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  peakMiB: number;
  target: string;
}

function stats(times: number[]) {
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { meanMs: mean, minMs: Math.min(...times), maxMs: Math.max(...times) };
}

function inProcess(name: string, text: string, runs: number, target: string): Row {
  const config = { ...defaultConfig(), noAdditionalProperties: true };
  const once = () => generateSchema([parseYamlSource("values.yaml", text)], config);
  for (let i = 0; i < 3; i++) once(); // warm-up: JIT and module initialisation
  const times: number[] = [];
  let peak = Deno.memoryUsage().rss;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    once();
    times.push(performance.now() - start);
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  return { case: name, runs, ...stats(times), peakMiB: peak / 2 ** 20, target };
}

async function timed(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
  runs: number,
  target: string,
): Promise<Row> {
  const times: number[] = [];
  let peakKiB = 0;
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    // GNU time reports the peak resident set size of the command (and its children) in KiB.
    const r = await run("/usr/bin/time", ["-f", "%M", cmd, ...args], opts);
    const elapsed = performance.now() - start;
    if (r.code !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (i === 0) continue; // the first run fills file caches
    times.push(elapsed);
    peakKiB = Math.max(peakKiB, Number(r.stderr.trim().split("\n").pop()));
  }
  return { case: name, runs, ...stats(times), peakMiB: peakKiB / 1024, target };
}

const rows: Row[] = [];
const big = awkwardValues(6000, 42);
// Annotated values are checked against the draft's metaschema while generating, as planSchemas does.
await loadSchemaChecks();
rows.push(inProcess(`generate, ${big.split("\n").length}-line values file`, big, 20, "< 100 ms"));
const fastcs = await Deno.readTextFile(join(REPO, "charts/fastcs/values.yaml"));
rows.push(inProcess(`generate, charts/fastcs (${fastcs.split("\n").length} lines)`, fastcs, 50, "-"));

const repo = await copyRepo();
await using home = await tempDir();
await using denoDir = await tempDir();
const env = sourceInstallEnv(home.path, denoDir.path);
const install = await run(tool("helm4"), ["plugin", "install", repo], { env });
if (install.code !== 0) throw new Error(`plugin install failed: ${install.stderr}`);
rows.push(
  await timed(
    "helm fastcs schema --check (Helm 4, source mode)",
    tool("helm4"),
    ["fastcs", "schema", "--check"],
    { cwd: repo, env },
    5,
    "< 1 s",
  ),
);
rows.push(
  await timed(
    "bin/helm-fastcs schema --check (launcher only)",
    join(repo, "bin/helm-fastcs"),
    ["schema", "--check"],
    { cwd: repo, env },
    5,
    "-",
  ),
);

const header = ["case", "runs", "mean ms", "min ms", "max ms", "peak RSS MiB", "target"];
const lines = rows.map((
  r,
) => [
  r.case,
  String(r.runs),
  r.meanMs.toFixed(1),
  r.minMs.toFixed(1),
  r.maxMs.toFixed(1),
  r.peakMiB.toFixed(0),
  r.target,
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const fmt = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(fmt(header));
console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const l of lines) console.log(fmt(l));
console.log(
  `\n${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`,
);
