// Finding the charts of a repo: every folder under the charts folder that holds a Chart.yaml.
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ExitCode, FastcsError, inputError } from "../runtime/errors.ts";
import { pathExists } from "../runtime/fs.ts";
import { parseYamlSource, readYamlFile } from "./yaml_source.ts";

/** A chart found on disk. */
export interface ChartInfo {
  /** `name` from Chart.yaml. */
  name: string;
  /** Absolute path of the chart folder. */
  dir: string;
  version?: string;
  /** Dependencies from Chart.yaml (`name`, `alias`, `condition`, `import-values`), for service schemas,
   * validation and packaging. */
  dependencies: {
    name: string;
    alias?: string;
    condition?: string;
    tags?: string[];
    importValues?: unknown[];
  }[];
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The charts folder: `given` when set (must exist), else `charts/`, else `Charts/` (the FastCS layout).
 *
 * @throws FastcsError (exit code 5) when no charts folder exists.
 */
export async function resolveChartsDir(cwd: string, given?: string): Promise<string> {
  const candidates = given ? [given] : ["charts", "Charts"];
  for (const c of candidates) {
    const path = resolve(cwd, c);
    if (await isDir(path)) return path;
  }
  throw new FastcsError(
    given ? `charts folder ${given} does not exist` : `no charts folder (charts/ or Charts/) in ${cwd}`,
    {
      code: "charts.missing",
      exitCode: ExitCode.input,
      hint: "Run from the repo root, or name the folder with --charts-dir.",
    },
  );
}

/**
 * Why Helm refuses a chart name, or undefined when it is valid. Helm's rule (chart.metadata.name,
 * checked by `helm lint`, `template`, `package`): a name must be its own base name, so no `/` (nor `\`,
 * the separator on Windows), and not `.` or `..`. Paths are built from chart names, so this comes first.
 */
function chartNameProblem(name: string): string | undefined {
  if (name === "." || name === "..") return "is not allowed";
  if (/[\/\\\0]/.test(name)) return "is invalid: it holds a path separator";
  return undefined;
}

/**
 * Reads one chart's Chart.yaml.
 *
 * @throws FastcsError (exit code 5) naming file:line:column when Chart.yaml is malformed or has no name.
 */
export async function readChart(dir: string, display: (p: string) => string): Promise<ChartInfo> {
  const file = join(dir, "Chart.yaml");
  const source = parseYamlSource(display(file), await readYamlFile(file, display));
  const data = (source.doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof data.name !== "string" || data.name === "") {
    throw inputError({ file: display(file), line: 1, column: 1 }, "Chart.yaml has no name", {
      code: "chart.name",
      hint: `Add "name: ${basename(dir)}" to Chart.yaml.`,
    });
  }
  const problem = chartNameProblem(data.name);
  if (problem) {
    throw inputError(
      { file: display(file), line: 1, column: 1 },
      `chart name ${JSON.stringify(data.name)} ${problem}`,
      {
        code: "chart.name",
        hint: "Helm refuses it too; a chart's name is a plain file name such as my-chart.",
      },
    );
  }
  const deps = Array.isArray(data.dependencies) ? data.dependencies as Record<string, unknown>[] : [];
  return {
    name: data.name,
    dir,
    version: data.version === undefined ? undefined : String(data.version),
    dependencies: deps.filter((d) => d && typeof d.name === "string").map((d) => ({
      name: String(d.name),
      alias: typeof d.alias === "string" ? d.alias : undefined,
      condition: typeof d.condition === "string" ? d.condition : undefined,
      tags: Array.isArray(d.tags) ? (d.tags as unknown[]).map(String) : undefined,
      importValues: Array.isArray(d["import-values"]) ? d["import-values"] as unknown[] : undefined,
    })),
  };
}

/**
 * Every chart directly under `chartsDir` (a folder holding Chart.yaml), sorted by folder name. When
 * `chartsDir` is itself a chart, that chart alone.
 *
 * @throws FastcsError (exit code 5) when no chart is found or two charts share a name.
 */
export async function findCharts(chartsDir: string, display: (p: string) => string): Promise<ChartInfo[]> {
  if (await pathExists(join(chartsDir, "Chart.yaml"))) return [await readChart(chartsDir, display)];
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(chartsDir)) {
    if (
      (entry.isDirectory || entry.isSymlink) && await pathExists(join(chartsDir, entry.name, "Chart.yaml"))
    ) {
      dirs.push(join(chartsDir, entry.name));
    }
  }
  dirs.sort();
  const charts = [];
  for (const d of dirs) charts.push(await readChart(d, display));
  if (charts.length === 0) {
    throw new FastcsError(`no chart (a folder with Chart.yaml) under ${display(chartsDir)}`, {
      code: "charts.none",
      exitCode: ExitCode.input,
      hint: "Create one with `helm create`, or point --charts-dir at the folder that holds your charts.",
    });
  }
  const names = new Map<string, string>();
  for (const c of charts) {
    const other = names.get(c.name);
    if (other) {
      throw new FastcsError(`two charts are named "${c.name}": ${display(other)} and ${display(c.dir)}`, {
        code: "charts.duplicate",
        exitCode: ExitCode.input,
        hint: "Chart names must be unique: schemas/ and registries name files after them.",
      });
    }
    names.set(c.name, c.dir);
  }
  return charts;
}

/** The repo root: the nearest folder at or above `start` that holds `.git`, else `fallback`. */
export async function findRepoRoot(start: string, fallback: string): Promise<string> {
  let dir = start;
  while (true) {
    try {
      await Deno.stat(join(dir, ".git"));
      return dir;
    } catch { /* keep looking */ }
    const parent = dirname(dir);
    if (parent === dir) return fallback;
    dir = parent;
  }
}

/**
 * Where a repository keeps `schemas/` (links and service schemas, release assets): beside the charts folder,
 * or in the repository root where beside it would be outside the repository (`--charts-dir .`).
 */
export function defaultSchemasDir(chartsDir: string, repoRoot: string): string {
  const beside = dirname(chartsDir);
  const rel = relative(repoRoot, beside);
  return join(rel.startsWith("..") || isAbsolute(rel) ? repoRoot : beside, "schemas");
}

/**
 * The `schemas/` folder of the charts folder `chartsDir` ({@link defaultSchemasDir} of its repository root,
 * the nearest folder above it with `.git`, else `cwd`).
 */
export async function schemasDirOf(chartsDir: string, cwd: string): Promise<string> {
  return defaultSchemasDir(chartsDir, await findRepoRoot(chartsDir, cwd));
}

/** The folder of the chart holding `file` (the nearest folder above it with a `Chart.yaml`), if any. */
export async function chartHolding(file: string): Promise<string | undefined> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (await pathExists(join(dir, "Chart.yaml"))) return dir;
  }
  return undefined;
}
