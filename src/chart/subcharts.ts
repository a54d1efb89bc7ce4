// The sub-charts Helm validates with a chart: each dependency vendored under `charts/` (a folder, or the
// .tgz `helm dependency build` downloads) with its own values.schema.json, under the key its values come
// from (the dependency's alias, else its name), and the condition that switches it on.
import { join } from "node:path";
import { pathExists } from "../runtime/fs.ts";
import { type ChartInfo, readChart } from "./charts.ts";
import { parseYamlSource, readYamlFile } from "./yaml_source.ts";

/** A sub-chart as a parent chart's validation sees it. */
export interface SubChart {
  /** The key of the parent's values that holds this sub-chart's values (alias, else name). */
  key: string;
  name: string;
  /** The vendored sub-chart's version (its Chart.yaml), when it says one. */
  version?: string;
  /** Chart.yaml `condition`: comma-separated value paths; the first that holds a boolean decides. */
  condition?: string;
  /** Chart.yaml `tags`: switched by the parent's `tags.<tag>` values when no condition decides. */
  tags?: string[];
  /** The sub-chart's default values, with a name for messages (`charts/mysql/values.yaml`,
   * `charts/mysql-1.0.0.tgz:mysql/values.yaml`). */
  values?: { file: string; text: string };
  /** The sub-chart's values.schema.json text, and where it is (`file://` URL of its folder for folders). */
  schema?: { where: string; text: string; baseUrl: string };
}

async function archiveFiles(tgz: string): Promise<Map<string, string>> {
  const wanted = /^[^/]+\/(Chart\.yaml|values\.yaml|values\.schema\.json)$/;
  // Loaded here only: tar-stream is a CommonJS library that costs every run of `schema` to load.
  const { packageFiles } = await import("./package_files.ts");
  const files = await packageFiles(tgz, (path) => wanted.test(path));
  return new Map([...files].map(([path, bytes]) => [path, new TextDecoder().decode(bytes)]));
}

/**
 * The sub-charts vendored under `<chartDir>/charts/`, one entry per key (a chart aliased twice is two).
 * Archives that cannot be read are left out: `helm dependency build` rewrites them, and Helm reports them.
 *
 * @param display turns an absolute path into the path shown in messages
 */
export async function readSubCharts(chartDir: string, display: (p: string) => string): Promise<SubChart[]> {
  const parent = await readChart(chartDir, display);
  const folder = join(chartDir, "charts");
  const found: Omit<SubChart, "key" | "condition">[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(folder));
  } catch {
    return [];
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(folder, entry.name);
    if (entry.isDirectory && await pathExists(join(path, "Chart.yaml"))) {
      const chart = await readChart(path, display);
      const valuesPath = join(path, "values.yaml");
      const schemaPath = join(path, "values.schema.json");
      found.push({
        name: chart.name,
        version: chart.version,
        values: await pathExists(valuesPath)
          ? { file: display(valuesPath), text: await readYamlFile(valuesPath, display) }
          : undefined,
        schema: await pathExists(schemaPath)
          ? {
            where: display(schemaPath),
            text: await Deno.readTextFile(schemaPath),
            baseUrl: `file://${path}/`,
          }
          : undefined,
      });
    } else if (entry.isFile && entry.name.endsWith(".tgz")) {
      let files: Map<string, string>;
      try {
        files = await archiveFiles(path);
      } catch {
        continue;
      }
      const chartYaml = [...files.keys()].find((k) => k.endsWith("/Chart.yaml"));
      if (!chartYaml) continue;
      const top = chartYaml.split("/")[0];
      const meta = parseYamlSource(`${display(path)}:${chartYaml}`, files.get(chartYaml)!).doc.toJS() ?? {};
      const name = meta.name;
      if (typeof name !== "string") continue;
      const values = files.get(`${top}/values.yaml`);
      const schema = files.get(`${top}/values.schema.json`);
      found.push({
        name,
        version: meta.version === undefined ? undefined : String(meta.version),
        values: values === undefined
          ? undefined
          : { file: `${display(path)}:${top}/values.yaml`, text: values },
        schema: schema === undefined
          ? undefined
          : { where: `${display(path)}:${top}/values.schema.json`, text: schema, baseUrl: "file:///" },
      });
    }
  }
  const subCharts: SubChart[] = [];
  for (const sub of found) {
    const deps = parent.dependencies.filter((d) => d.name === sub.name);
    if (deps.length === 0) subCharts.push({ ...sub, key: sub.name });
    for (const d of deps) {
      subCharts.push({ ...sub, key: d.alias ?? d.name, condition: d.condition, tags: d.tags });
    }
  }
  return subCharts;
}

/**
 * Whether Helm renders (and so validates) a sub-chart: its condition's first path that holds a boolean in
 * the parent's values decides; else its tags: on when one of them is `true` under the parent's `tags`, off
 * when one is `false` and none `true`; else on
 * (https://helm.sh/docs/topics/charts/#tags-and-condition-fields-in-dependencies).
 */
export function subChartEnabled(sub: SubChart, parentValues: unknown): boolean {
  const at = (path: string) => {
    let value: unknown = parentValues;
    for (const key of path.split(".")) {
      value = value !== null && typeof value === "object"
        ? (value as Record<string, unknown>)[key]
        : undefined;
    }
    return value;
  };
  for (const path of (sub.condition ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const value = at(path);
    if (typeof value === "boolean") return value;
  }
  const tagged = (sub.tags ?? []).map((t) => at(`tags.${t}`));
  if (tagged.includes(true)) return true;
  return !tagged.includes(false);
}

/**
 * The keys under which a chart's sub-charts receive their values: each dependency's alias or name from
 * Chart.yaml, and the name of every chart folder vendored under `charts/` (Helm loads those too).
 */
export async function subChartKeys(chart: ChartInfo): Promise<string[]> {
  const keys = chart.dependencies.map((d) => d.alias ?? d.name);
  try {
    for await (const entry of Deno.readDir(join(chart.dir, "charts"))) {
      const file = join(chart.dir, "charts", entry.name, "Chart.yaml");
      if (!entry.isDirectory || !(await pathExists(file))) continue;
      const name = (parseYamlSource(file, await readYamlFile(file)).doc.toJS() ?? {}).name;
      if (typeof name === "string" && name !== "" && !chart.dependencies.some((d) => d.name === name)) {
        keys.push(name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return [...new Set(keys)];
}

/**
 * The top-level keys a chart's values receive from its sub-charts through `import-values` (Helm merges them
 * into the parent's values before validating): for `- data`, the keys of the sub-chart's `exports.data`
 * (known when the sub-chart is vendored under `charts/`); for `- {child: path, parent: key.path}`, the first
 * segment of `parent` (https://helm.sh/docs/topics/charts/#importing-child-values-via-dependencies).
 */
export async function importedKeys(chart: ChartInfo, display: (p: string) => string): Promise<string[]> {
  if (!chart.dependencies.some((d) => d.importValues?.length)) return [];
  const subs = await readSubCharts(chart.dir, display);
  const keys: string[] = [];
  for (const dep of chart.dependencies) {
    for (const entry of dep.importValues ?? []) {
      if (
        entry !== null && typeof entry === "object" &&
        typeof (entry as { parent?: unknown }).parent === "string"
      ) {
        keys.push(String((entry as { parent: string }).parent).split(".")[0]);
      } else if (typeof entry === "string") {
        const sub = subs.find((s) => s.name === dep.name);
        const values = sub?.values ? parseYamlSource(sub.values.file, sub.values.text).doc.toJS() : undefined;
        const exported = values?.exports?.[entry];
        if (exported && typeof exported === "object" && !Array.isArray(exported)) {
          keys.push(...Object.keys(exported));
        }
      }
    }
  }
  return [...new Set(keys.filter(Boolean))];
}
