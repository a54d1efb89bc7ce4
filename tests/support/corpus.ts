// The real-world chart corpus (../shared/corpus: public chart repositories with the `ci/` override files
// their maintainers ship) as a test of `helm fastcs schema`: for every chart whose dependencies can be had
// offline, generate its schema, then check with the real Helm that every values file that rendered without
// our schema still renders with it, and that `helm lint` still passes. Used by tests/e2e/corpus_test.ts
// (which asserts) and scripts/corpus_report.ts (which prints the README's table).
import { basename, join } from "node:path";
import { pLimit } from "../../src/deps/concurrency.ts";
import { cli, REPO, run, tool } from "../helpers.ts";
import { tempDir } from "./files.ts";

/** Where the corpus is: `FASTCS_CORPUS`, else `../shared/corpus` beside the checkout. */
export function corpusDir(): string {
  return Deno.env.get("FASTCS_CORPUS") ?? join(REPO, "..", "shared", "corpus");
}

/** One corpus chart and what happened to it. */
export interface CorpusChart {
  /** `<repository>/<chart folder>`. */
  id: string;
  /** Why the chart was left out of the Helm checks (remote dependencies), or undefined. */
  skipped?: string;
  /** Values files tried: `values.yaml` and each `ci/*.yaml`, relative to the chart. */
  files: string[];
  /** Per Helm: the files that rendered without our schema, and those of them that failed with it. */
  helm: Record<string, { renderedWithout: string[]; failedWith: { file: string; error: string }[] }>;
  /** Per Helm: `helm lint` passed without our schema but failed with it (the error), else undefined. */
  lintBroken: Record<string, string | undefined>;
  /** Generator exit code and stderr for the repository the chart belongs to. */
  generated: { code: number; stderr: string };
}

const HELMS = ["helm3", "helm4"] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Remote dependencies of a chart that are not vendored under its `charts/` folder. */
async function remoteDependencies(chartDir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(chartDir, "Chart.yaml"));
  const remote = [...text.matchAll(/^\s*-?\s*repository:\s*["']?((?:https?|oci):\/\/[^"'\s]+)/gm)].map((m) =>
    m[1]
  );
  if (remote.length === 0) return [];
  let vendored = 0;
  try {
    for await (const e of Deno.readDir(join(chartDir, "charts"))) if (e.isDirectory || e.isFile) vendored++;
  } catch { /* no charts/ folder */ }
  return vendored >= remote.length ? [] : remote;
}

async function valuesFiles(chartDir: string): Promise<string[]> {
  const files = ["values.yaml"];
  try {
    const ci = [];
    for await (const e of Deno.readDir(join(chartDir, "ci"))) {
      if (e.isFile && /\.ya?ml$/.test(e.name)) ci.push(`ci/${e.name}`);
    }
    files.push(...ci.sort());
  } catch { /* no ci/ folder */ }
  return files;
}

function helmArgs(chartDir: string, file: string): string[] {
  return file === "values.yaml" ? [chartDir] : [chartDir, "-f", join(chartDir, file)];
}

/**
 * Runs the corpus check and returns one entry per chart (charts with remote dependencies are listed as
 * skipped). Works on copies in a temporary folder; the corpus itself is never written.
 */
export async function checkCorpus(): Promise<CorpusChart[]> {
  const root = corpusDir();
  await using work = await tempDir("fastcs-corpus-");
  const limit = pLimit(2);
  const results: CorpusChart[] = [];
  for await (const repoEntry of Deno.readDir(root)) {
    const chartsRoot = join(root, repoEntry.name, "charts");
    if (!repoEntry.isDirectory || !(await Deno.stat(chartsRoot).catch(() => null))) continue;
    // One throw-away repository per corpus repository: chart names repeat across repositories.
    const repo = join(work.path, repoEntry.name);
    await Deno.mkdir(join(repo, "charts"), { recursive: true });
    await run("git", ["init", "-q", repo]);
    const charts: CorpusChart[] = [];
    for await (const c of Deno.readDir(chartsRoot)) {
      const source = join(chartsRoot, c.name);
      if (!c.isDirectory || !(await isFile(join(source, "Chart.yaml")))) continue;
      const chart: CorpusChart = {
        id: `${repoEntry.name}/${c.name}`,
        files: await valuesFiles(source),
        helm: {},
        lintBroken: {},
        generated: { code: -1, stderr: "" },
      };
      charts.push(chart);
      const remote = await remoteDependencies(source);
      if (remote.length > 0) {
        chart.skipped = `dependencies from ${[...new Set(remote)].join(", ")} cannot be fetched offline`;
        continue;
      }
      const dir = join(repo, "charts", c.name);
      const cp = await run("cp", ["-a", source, dir]);
      if (cp.code !== 0) throw new Error(`copying ${source} failed: ${cp.stderr}`);
      // "Without our schema" means without any schema: the chart's own would be replaced anyway.
      await Deno.remove(join(dir, "values.schema.json")).catch(() => {});
    }
    const active = charts.filter((c) => !c.skipped);
    const dirOf = (c: CorpusChart) => join(repo, "charts", basename(c.id));
    const lintBefore: Record<string, boolean> = {};
    await Promise.all(active.flatMap((c) =>
      HELMS.flatMap((h) => [
        limit(async () => {
          const r = await run(tool(h), ["lint", dirOf(c)]);
          lintBefore[`${h} ${c.id}`] = r.code === 0;
        }),
        ...c.files.map((f) =>
          limit(async () => {
            const r = await run(tool(h), ["template", "x", ...helmArgs(dirOf(c), f)]);
            c.helm[h] ??= { renderedWithout: [], failedWith: [] };
            if (r.code === 0) c.helm[h].renderedWithout.push(f);
          })
        ),
      ])
    ));
    if (active.length > 0) {
      const g = await cli(["schema", "--charts-dir", "charts", "--no-schemas"], { cwd: repo });
      for (const c of active) c.generated = { code: g.code, stderr: g.stderr };
    }
    await Promise.all(active.flatMap((c) =>
      HELMS.flatMap((h) => [
        limit(async () => {
          if (!lintBefore[`${h} ${c.id}`]) return;
          const r = await run(tool(h), ["lint", dirOf(c)]);
          if (r.code !== 0) c.lintBroken[h] = (r.stdout + r.stderr).trim();
        }),
        ...(c.helm[h]?.renderedWithout ?? []).map((f) =>
          limit(async () => {
            const r = await run(tool(h), ["template", "x", ...helmArgs(dirOf(c), f)]);
            if (r.code !== 0) c.helm[h].failedWith.push({ file: f, error: r.stderr.trim() });
          })
        ),
      ])
    ));
    results.push(...charts);
  }
  return results.sort((a, b) => a.id.localeCompare(b.id));
}
