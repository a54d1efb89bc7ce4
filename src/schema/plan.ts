// The whole `helm fastcs schema` job as data: for every chart, the files that should exist (values
// schema, schemas/ link, service schema), each checked against the one write rule. Nothing is written here
// (see apply.ts), and only once every chart has been generated without error.
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ExitCode, FastcsError, inputError, type SourcePosition } from "../runtime/errors.ts";
import { WriteGuard } from "../runtime/fs.ts";
import { bundleRefs } from "./bundle.ts";
import { expandK8sRef, k8sBaseUrl, k8sSchemaLoader } from "./k8s_schemas.ts";
import { pruneBundle } from "./prune.ts";
import {
  chartHolding,
  type ChartInfo,
  defaultSchemasDir,
  findCharts,
  findRepoRoot,
  readChart,
} from "../chart/charts.ts";
import { importedKeys, subChartKeys } from "../chart/subcharts.ts";
import { type LinkMode, loadConfig, readConfigFile, type SchemaConfig } from "./config.ts";
import type { Draft, JsonSchema } from "./drafts.ts";
import { generateSchema, writtenByPeople } from "./generate.ts";
import { checkLocalRefs, checkSchemaDocument, loadSchemaChecks, standInDocument } from "./schema_check.ts";
import { serviceSchema } from "./service.ts";
import { acceptsLayers, compileSchema, formatProblems, validateLayers } from "../chart/validate.ts";
import { parseYamlSource, readYamlFile, type YamlSource } from "../chart/yaml_source.ts";

/** A file the schema job owns. `link` entries are symlinks (or copies where links cannot be made). */
export interface PlannedFile {
  /** Absolute path. */
  path: string;
  chart: string;
  role: "values-schema" | "values-link" | "service-schema";
  /** The exact bytes a file must hold (for links: the bytes of the link's target). */
  content: string;
  /** For links: the target, relative to the link's folder. */
  linkTarget?: string;
  links?: LinkMode;
}

/** What the job found and would write. */
export interface SchemaPlan {
  repoRoot: string;
  schemasDir?: string;
  charts: { chart: ChartInfo; config: SchemaConfig }[];
  files: PlannedFile[];
  /** Links in schemas/ whose target is gone (left by a removed or renamed chart). */
  dangling: string[];
}

/** Options of {@link planSchemas}. */
export interface PlanOptions {
  cwd: string;
  /** The charts folder (or one chart's folder); undefined with `configFile`, which names the chart. */
  chartsDir?: string;
  /** A helm-values-schema-json config file (`--config`): one schema, its paths relative to `cwd`. */
  configFile?: string;
  /** Unknown config keys are errors instead of warnings. */
  strict?: boolean;
  /** Write links and service schemas (into `schemasDir`). */
  schemas: boolean;
  /** Folder for links and service schemas (default: `schemas/` beside the charts folder, inside the repo). */
  schemasDir?: string;
  /** Overrides of every chart's config (command-line flags win over .schema.yaml). */
  overrides: Partial<SchemaConfig>;
  /** Only these charts (by name); all when empty. */
  only: string[];
  warn: (message: string) => void;
  /** Turns an absolute path into the path shown in messages. */
  display: (path: string) => string;
  /** Loads remote `$ref`s for bundling (network or cache). */
  fetchRef: (url: string) => Promise<string>;
}

/** Serialises a schema as written to disk: fixed key order is the generator's; indent; final newline. */
export function renderJson(value: unknown, indent: number): string {
  return JSON.stringify(value, null, indent) + "\n";
}

async function readExisting(path: string): Promise<JsonSchema | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Generates every chart's schemas in memory.
 *
 * @throws FastcsError (exit code 5) for bad input anywhere: nothing has been written at that point.
 */
export async function planSchemas(options: PlanOptions): Promise<SchemaPlan> {
  const { display } = options;
  // A repo-root config file shared by every chart is read (and its warnings said) once.
  const loading = { display, warn: options.warn, strict: options.strict, read: new Map() };
  let fixed: SchemaConfig | undefined;
  let chartsDir = options.chartsDir;
  let charts: ChartInfo[];
  if (options.configFile) {
    fixed = await readConfigFile(options.configFile, options.cwd, loading, true);
    const chartDir = await chartOfConfig(resolve(options.cwd, fixed.values[0]), options.configFile, display);
    charts = [await readChart(chartDir, display)];
    chartsDir ??= dirname(chartDir);
  } else if (chartsDir !== undefined) charts = await findCharts(chartsDir, display);
  else throw new Error("planSchemas needs chartsDir or configFile");
  const repoRoot = await findRepoRoot(chartsDir, options.cwd);
  if (options.only.length > 0) {
    const missing = options.only.filter((n) => !charts.some((c) => c.name === n));
    if (missing.length > 0) {
      throw new FastcsError(`no chart named ${missing.join(", ")} under ${display(chartsDir)}`, {
        code: "charts.unknown",
        exitCode: ExitCode.input,
        hint: `Charts found: ${charts.map((c) => c.name).join(", ")}.`,
      });
    }
    charts = charts.filter((c) => options.only.includes(c.name));
  }
  const schemasDir = options.schemas
    ? options.schemasDir ?? defaultSchemasDir(chartsDir, repoRoot)
    : undefined;
  if (schemasDir && (await Deno.stat(schemasDir).then((i) => !i.isDirectory, () => false))) {
    throw new FastcsError(`${display(schemasDir)} is a file, not a folder for schema links`, {
      code: "schemas.not-folder",
      exitCode: ExitCode.input,
      hint: "Move the file away, name another folder with --schemas-dir, or pass --no-schemas.",
    });
  }
  const plan: SchemaPlan = { repoRoot, schemasDir, charts: [], files: [], dangling: [] };
  const guard = new WriteGuard(repoRoot);
  const outputs: { path: string; at?: SourcePosition }[] = [];
  for (const chart of charts) {
    const loaded = fixed ?? await loadConfig(chart.dir, repoRoot, loading);
    if (loaded.describedElsewhere) continue;
    const config = { ...loaded, ...definedOnly(options.overrides) };
    if (config.k8sSchemaDir) config.bundle = true; // a local folder of Kubernetes schemas is for bundling
    const inputs = [join(chart.dir, "Chart.yaml"), ...(config.file ? [config.file] : [])];
    const sources = [];
    for (const file of config.values) {
      const path = resolve(config.baseDir, file);
      inputs.push(path);
      let text: string;
      try {
        text = await readYamlFile(path, display);
      } catch (error) {
        const missing = error instanceof FastcsError && error.code === "io.missing";
        if (missing && !config.file && options.overrides.values === undefined) {
          // A chart without values (CRDs only, a library chart) has nothing to describe.
          options.warn(`chart ${chart.name}: no ${display(path)}, so no values schema (skipped)`);
          break;
        }
        if (!missing) throw error;
        throw new FastcsError(`chart ${chart.name}: values file ${display(path)} does not exist`, {
          code: "values.missing",
          exitCode: ExitCode.input,
          hint: "Name existing values files (--values, or `values` in the config file), or create the file.",
        });
      }
      sources.push(parseYamlSource(display(path), text));
    }
    if (sources.length < config.values.length) continue;
    plan.charts.push({ chart, config });
    const folderOf = new Map(config.values.map((v) => {
      const path = resolve(config.baseDir, v);
      return [display(path), dirname(path)];
    }));
    // The metaschema checks are for what people wrote and for bundled documents; inferred-only runs skip them.
    const written = writtenByPeople(sources, config);
    if (written || config.bundle) await loadSchemaChecks([config.draft]);
    let schema = generateSchema(sources, {
      ...config,
      subCharts: await subChartKeys(chart),
      importedKeys: await importedKeys(chart, display),
      rebaseRef: (ref, file) => {
        const folder = folderOf.get(file);
        if (folder === undefined || folder === chart.dir) return ref;
        const hash = ref.indexOf("#");
        const path = hash < 0 ? ref : ref.slice(0, hash);
        return relative(chart.dir, resolve(folder, path)).replaceAll("\\", "/") +
          (hash < 0 ? "" : ref.slice(hash));
      },
    });
    const output = resolve(config.baseDir, config.output);
    await guard.addInputs(inputs);
    outputs.push({ path: output, at: config.outputAt });
    if (config.bundle) {
      const bundleRoot = resolve(config.baseDir, config.bundleRoot ?? ".");
      const local = config.k8sSchemaDir && config.k8sSchemaVersion
        ? k8sSchemaLoader(
          resolve(config.baseDir, config.k8sSchemaDir),
          k8sBaseUrl(config.k8sSchemaURL, config.k8sSchemaVersion),
          config.k8sSchemaVersion,
        )
        : undefined;
      schema = await bundleRefs(schema, {
        draft: config.draft,
        baseDir: chart.dir,
        bundleRoot,
        withoutId: config.bundleWithoutID,
        previous: await readExisting(output),
        fetchRef: async (url) => (await local?.(url)) ?? await options.fetchRef(url),
        expandRef: (ref) => expandK8sRef(ref, config.k8sSchemaURL, config.k8sSchemaVersion),
        display,
      });
      schema = pruneBundle(schema, config.draft === "7" ? "definitions" : "$defs");
    }
    if (config.bundle) checkSchemaDocument(schema, config.draft, display(output));
    await refuseSchemaRejectingDefaults(schema, sources, chart.name, display(output));
    const content = renderJson(schema, config.indent);
    plan.files.push({ path: output, chart: chart.name, role: "values-schema", content });
    if (schemasDir && config.serviceSchema) {
      const dir = schemasDir;
      const link = join(dir, `${chart.name}-values.schema.json`);
      plan.files.push({
        path: link,
        chart: chart.name,
        role: "values-link",
        content,
        linkTarget: relative(dir, output),
        links: config.links,
      });
      const aliases = [...config.aliases];
      const service = serviceSchema(chart.name, schema, aliases, config.draft as Draft);
      const servicePath = join(dir, `${chart.name}-service.schema.json`);
      // Our wrapper around a values schema that is valid (checked above, or inferred only): its local $refs
      // were rewritten, so those are checked again.
      if (written || config.bundle) checkSchemaDocument(service, config.draft, display(servicePath));
      else checkLocalRefs(service, display(servicePath));
      plan.files.push({
        path: servicePath,
        chart: chart.name,
        role: "service-schema",
        content: renderJson(service, config.indent),
      });
    }
  }
  // Checked once every input is known: no output may replace any chart's input, or another output.
  for (const file of plan.files.filter((f) => f.role !== "values-schema")) outputs.push({ path: file.path });
  const owners = new Map<string, string>();
  for (const file of plan.files) {
    const other = owners.get(file.path);
    if (other !== undefined) {
      const at = outputs.find((o) => o.path === file.path && o.at)?.at;
      const message = `${
        display(file.path)
      } would be written twice (${other} and ${file.role} of chart ${file.chart})`;
      const extra = { code: "write.twice", hint: "Give each chart's output a path of its own." };
      if (at) throw inputError(at, message, extra);
      throw new FastcsError(message, { ...extra, exitCode: ExitCode.input });
    }
    owners.set(file.path, `${file.role} of chart ${file.chart}`);
  }
  for (const { path, at } of outputs) await refuseWrite(guard, path, repoRoot, display, at);
  if (schemasDir) plan.dangling = await danglingLinks(schemasDir, repoRoot, display);
  return plan;
}

/**
 * Helm validates the chart's own values on every install: a schema whose annotations reject them would
 * break every install. Inferred types always accept their defaults (the fuzz test checks that), so only a
 * chart with annotations is validated here; documents not embedded stand in as "anything" (also at the
 * pointers into them, `$k8s/_definitions.json#/definitions/...`).
 *
 * @throws FastcsError (exit code 5) listing each rejected value at its file:line:column
 */
async function refuseSchemaRejectingDefaults(
  schema: JsonSchema,
  sources: YamlSource[],
  chart: string,
  where: string,
) {
  if (!sources.some((s) => /#.*@schema/.test(s.text))) return;
  const standIn = (url: string) => standInDocument(schema, url, "file:///");
  if (acceptsLayers(schema, sources, standIn)) return;
  const validate = await compileSchema(
    schema,
    where,
    "file:///",
    (url) => Promise.resolve(standIn(url)),
    true, // checked by generateSchema (and after bundling)
  );
  const problems = validateLayers(sources, validate);
  if (problems.length === 0) return;
  throw new FastcsError(`chart ${chart}: the generated schema rejects the chart's own values`, {
    code: "schema.rejects-defaults",
    exitCode: ExitCode.input,
    details: formatProblems(problems),
    hint:
      "Helm validates these values on every install: change the annotations of those keys, or the values.",
  });
}

/** The folder of the chart a `--config` file describes: the one holding its first values file. */
async function chartOfConfig(
  file: string,
  configFile: string,
  display: (p: string) => string,
): Promise<string> {
  const dir = await chartHolding(file);
  if (dir !== undefined) return dir;
  throw new FastcsError(`${display(configFile)}: its values file ${display(file)} is not inside a chart`, {
    code: "config.no-chart",
    exitCode: ExitCode.input,
    hint: "List the chart's values file first under `values` (paths are relative to the working directory).",
  });
}

/** Applies the one write rule (inside the repository, never over an input) to a file the plan writes. */
async function refuseWrite(
  guard: WriteGuard,
  path: string,
  repoRoot: string,
  display: (p: string) => string,
  at?: SourcePosition,
) {
  const refusal = await guard.refusal(path);
  if (!refusal) return;
  const why = {
    outside: `it is outside the repository ${display(repoRoot) || "."}`,
    git: "it is inside the repository's .git folder",
    input: "it is one of the files this run reads",
    folder: "a folder is there",
  }[refusal];
  const message = `refusing to write ${display(path)}: ${why}`;
  const extra = {
    code: `write.${refusal}`,
    hint: {
      outside:
        "Generated files stay inside the repository: choose an output (or schemas folder) below its root.",
      git: "Choose an output outside .git (git's own files would be replaced).",
      input: "Choose an output file that is not a values file, Chart.yaml or the config file.",
      folder: "Name a file path, or move the folder away.",
    }[refusal],
  };
  if (at) throw inputError(at, message, extra);
  throw new FastcsError(message, { ...extra, exitCode: ExitCode.input });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function danglingLinks(
  schemasDir: string,
  repoRoot: string,
  display: (p: string) => string,
): Promise<string[]> {
  const dangling: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(schemasDir));
  } catch {
    return dangling;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isSymlink) continue;
    const path = join(schemasDir, entry.name);
    const target = await Deno.readLink(path);
    const absolute = isAbsolute(target) ? target : resolve(schemasDir, target);
    const rel = relative(repoRoot, absolute);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new FastcsError(
        `${display(path)} links to ${target}, outside the repository ${display(repoRoot) || "."}`,
        {
          code: "schemas.link-outside",
          exitCode: ExitCode.input,
          hint:
            "Published schemas must come from the repo: remove the link, then run helm fastcs schema to recreate the links.",
        },
      );
    }
    try {
      await Deno.stat(absolute);
    } catch {
      dangling.push(path);
    }
  }
  return dangling;
}
