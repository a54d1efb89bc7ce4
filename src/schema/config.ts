// The schema configuration file `.schema.yaml`: helm-values-schema-json's format
// (https://github.com/losisin/helm-values-schema-json/blob/main/config.schema.json), read as is so that a
// repo migrates without edits, plus our own keys. A chart's folder is searched first, then the repo root.
import { join, relative, resolve } from "node:path";
import { ExitCode, FastcsError, type SourcePosition } from "../runtime/errors.ts";
import { pathExists } from "../runtime/fs.ts";
import { type JsonSchema, parseDraft } from "./drafts.ts";
import { DEFAULT_K8S_SCHEMA_URL, type DescriptionMode, type GenerateOptions } from "./generate.ts";
import { uriProblem } from "./schema_check.ts";
import { chartHolding } from "../chart/charts.ts";
import { acceptsLayers, compileSchema, formatProblems, validateSource } from "../chart/validate.ts";
import { parseYamlSource, readYamlFile, type YamlSource } from "../chart/yaml_source.ts";

/** The file name helm-values-schema-json reads, which we read too. */
export const CONFIG_FILE = ".schema.yaml";

/** How links in `schemas/` are made: symlinks, copies, or symlinks with a copy where links fail. */
export type LinkMode = "auto" | "link" | "copy";

/** Schema settings of one chart, with every default filled in. Paths are relative to `baseDir`. */
export interface SchemaConfig extends Omit<GenerateOptions, "subCharts" | "importedKeys"> {
  /** The file the settings came from, or undefined for defaults. */
  file?: string;
  /** Absolute folder that relative paths (`values`, `output`, `bundleRoot`) are relative to: the chart
   * folder, or the working directory for a helm-values-schema-json `--config` file. */
  baseDir: string;
  /** Where `output` was written in the config file, for errors about it. */
  outputAt?: SourcePosition;
  /** A local folder of Kubernetes JSON schemas that `$k8s/` references are bundled from (no network). */
  k8sSchemaDir?: string;
  /** True when the repo root's helm-values-schema-json configuration describes another chart: as that tool
   * generates one schema per configuration, this chart gets none. */
  describedElsewhere?: boolean;
  values: string[];
  output: string;
  indent: number;
  bundle: boolean;
  bundleRoot?: string;
  bundleWithoutID: boolean;
  /** Extra keys under which services repos use the chart as a sub-chart (dependency aliases). */
  aliases: string[];
  /** Write a service schema for the chart in `schemas/`. */
  serviceSchema: boolean;
  links: LinkMode;
}

/** JSON Schema of `.schema.yaml` (ours is a superset; unknown keys are errors so typos surface). */
export const CONFIG_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  additionalProperties: false,
  properties: {
    values: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
    input: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
    output: { type: "string", minLength: 1 },
    draft: { enum: [4, 6, 7, 2019, 2020, "7", "2019", "2020", "2019-09", "2020-12"] },
    indent: { type: "integer", minimum: 2, multipleOf: 2 },
    useHelmDocs: { type: "boolean" },
    descriptions: { enum: ["auto", "helm-docs", "none"] },
    noAdditionalProperties: { type: "boolean" },
    noDefaultGlobal: { type: "boolean" },
    k8sSchemaURL: { type: "string" },
    k8sSchemaVersion: { type: "string" },
    k8sSchemaDir: { type: "string", minLength: 1 },
    schemaRoot: {
      type: "object",
      additionalProperties: false,
      properties: {
        id: { type: "string" },
        title: { type: "string" },
        description: { type: "string" },
        ref: { type: "string" },
        additionalProperties: { type: ["boolean", "null"] },
      },
    },
    bundle: { type: "boolean" },
    bundleRoot: { type: "string" },
    bundleWithoutID: { type: "boolean" },
    bundleCacheMin: { type: "string" },
    aliases: {
      type: "array",
      items: { type: "string", pattern: "^[A-Za-z0-9_-]+$", not: { const: "global" } },
    },
    serviceSchema: { type: "boolean" },
    links: { enum: ["auto", "link", "copy"] },
  },
};

/** Defaults when no config file says otherwise (indent 4 and draft 2020-12 as helm-values-schema-json). */
export function defaultConfig(): SchemaConfig {
  return {
    baseDir: ".",
    values: ["values.yaml"],
    output: "values.schema.json",
    draft: "2020-12",
    indent: 4,
    descriptions: "auto",
    noAdditionalProperties: false,
    noDefaultGlobal: false,
    k8sSchemaURL: DEFAULT_K8S_SCHEMA_URL,
    schemaRoot: {},
    bundle: false,
    bundleWithoutID: false,
    aliases: [],
    serviceSchema: true,
    links: "auto",
  };
}

async function readIfExists(path: string, display: (p: string) => string): Promise<string | undefined> {
  try {
    return await readYamlFile(path, display);
  } catch (error) {
    if (error instanceof FastcsError && error.code === "io.missing") return undefined;
    throw error;
  }
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Turns an absolute path into the path shown in messages. */
  display: (p: string) => string;
  /** Where unknown keys are reported (they are errors with `strict`). */
  warn: (message: string) => void;
  /** Unknown keys are errors, as helm-values-schema-json's `--strict`. */
  strict?: boolean;
  /**
   * The config files read so far in this run, by path: a repo-root file shared by every chart is read,
   * checked and warned about once, not once per chart.
   */
  read?: Map<string, Promise<CheckedConfigFile>>;
}

/** A config file's YAML with positions and its keys, read and checked. */
export interface CheckedConfigFile {
  source: YamlSource;
  raw: Record<string, unknown>;
}

/** Reads and validates a config file; unknown keys are warned about here, once per read. */
async function checkConfigFile(path: string, options: LoadConfigOptions): Promise<CheckedConfigFile> {
  const { display } = options;
  const text = await readIfExists(path, display);
  if (text === undefined) {
    throw new FastcsError(`config file ${display(path)} does not exist`, {
      code: "config.missing",
      exitCode: ExitCode.input,
      hint: "Name an existing file with --config (paths are relative to the working directory).",
    });
  }
  const source = parseYamlSource(display(path), text, { uniqueKeys: true });
  const raw = (source.doc.toJS() ?? {}) as Record<string, unknown>;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new FastcsError(`${display(path)}: a schema configuration is a mapping of keys to values`, {
      code: "config.invalid",
      exitCode: ExitCode.input,
      hint: 'See the README section "Configuration" for the keys .schema.yaml accepts.',
    });
  }
  // A valid file with no unknown key is the usual case: told without compiling the schema with Ajv.
  if (acceptsLayers(CONFIG_SCHEMA, [source])) return { source, raw };
  configValidator ??= compileSchema(CONFIG_SCHEMA, "config schema", "file:///");
  const validate = await configValidator;
  const problems = validateSource(source, validate);
  // helm-values-schema-json warns about unknown top-level keys (errors only with its --strict lint).
  const unknown = problems.filter((p) => p.path === "" && p.message.startsWith("unknown key"));
  const errors = problems.filter((p) => !unknown.includes(p));
  if (errors.length > 0 || (options.strict && unknown.length > 0)) {
    throw new FastcsError(`${display(path)}: invalid schema configuration`, {
      code: "config.invalid",
      exitCode: ExitCode.input,
      details: formatProblems(options.strict ? problems : errors),
      hint: 'See the README section "Configuration" for the keys .schema.yaml accepts.',
    });
  }
  for (const line of formatProblems(unknown)) options.warn(`${line} (ignored)`);
  return { source, raw };
}

// The configuration schema is compiled once per process (compiling costs more than validating a file).
let configValidator: ReturnType<typeof compileSchema> | undefined;

/**
 * Reads one config file: validates it (every problem at `file:line:column`) and applies its keys to the
 * defaults. Relative paths in it stay as written; `baseDir` says what they are relative to.
 *
 * @param baseDir the folder the file's paths are relative to (absolute)
 * @param compatible read it exactly as helm-values-schema-json does (descriptions from comments only with
 *   `useHelmDocs: true`), for its own configurations: `--config`, a repo-root file naming one chart's files
 * @throws FastcsError (exit code 5) listing every problem of the file, or for an unknown key with `strict`
 */
export async function readConfigFile(
  path: string,
  baseDir: string,
  options: LoadConfigOptions,
  compatible = false,
) {
  const { display } = options;
  const checked = options.read?.get(path) ?? checkConfigFile(path, options);
  options.read?.set(path, checked);
  const { source, raw } = await checked;
  const config = defaultConfig();
  config.baseDir = baseDir;
  config.file = path;
  if (compatible) config.descriptions = "none";
  const values = (raw.values ?? raw.input) as string[] | undefined;
  if (values) config.values = values;
  if (typeof raw.output === "string") {
    config.output = raw.output;
    const pair = source.doc.contents && "items" in source.doc.contents
      ? (source.doc.contents.items as { key: { value?: unknown; range?: number[] } }[]).find((p) =>
        p.key?.value === "output"
      )
      : undefined;
    config.outputAt = source.position(pair?.key.range?.[0] ?? 0);
  }
  if (raw.draft !== undefined) config.draft = parseDraft(raw.draft, display(path));
  if (typeof raw.indent === "number") config.indent = raw.indent;
  // helm-values-schema-json takes descriptions from comments only with useHelmDocs: true.
  if (raw.useHelmDocs === true) config.descriptions = "helm-docs";
  if (raw.useHelmDocs === false) config.descriptions = "none";
  if (typeof raw.descriptions === "string") config.descriptions = raw.descriptions as DescriptionMode;
  for (
    const key of [
      "noAdditionalProperties",
      "noDefaultGlobal",
      "bundle",
      "bundleWithoutID",
      "serviceSchema",
    ] as const
  ) {
    if (typeof raw[key] === "boolean") config[key] = raw[key] as boolean;
  }
  if (typeof raw.k8sSchemaURL === "string" && raw.k8sSchemaURL !== "") {
    config.k8sSchemaURL = raw.k8sSchemaURL;
  }
  if (typeof raw.k8sSchemaVersion === "string") config.k8sSchemaVersion = raw.k8sSchemaVersion;
  if (typeof raw.k8sSchemaDir === "string") config.k8sSchemaDir = raw.k8sSchemaDir;
  if (typeof raw.bundleRoot === "string" && raw.bundleRoot !== "") config.bundleRoot = raw.bundleRoot;
  if (raw.schemaRoot) config.schemaRoot = raw.schemaRoot as SchemaConfig["schemaRoot"];
  for (const key of ["id", "ref"] as const) {
    const value = config.schemaRoot[key];
    const problem = value === undefined ? undefined : uriProblem(value);
    if (problem) {
      throw new FastcsError(`${display(path)}: schemaRoot.${key} ${JSON.stringify(value)} ${problem}`, {
        code: "config.invalid",
        exitCode: ExitCode.input,
        hint: "Helm could not use the schema: write a URL (or, for ref, a path bundled with bundle: true).",
      });
    }
  }
  if (Array.isArray(raw.aliases)) config.aliases = raw.aliases as string[];
  if (typeof raw.links === "string") config.links = raw.links as LinkMode;
  return config;
}

/**
 * Loads the settings of the chart in `chartDir`: `<chartDir>/.schema.yaml` (paths relative to the chart
 * folder), else `<repoRoot>/.schema.yaml`, else defaults. A repo-root file whose `values` (or `input`)
 * all name existing files below the repo root, e.g. `charts/app/values.yaml`, is a helm-values-schema-json
 * configuration of one chart: its paths are relative to the repo root (where pre-commit runs that tool), and
 * it applies only to the chart holding those files. Otherwise it is shared settings with chart-relative paths.
 *
 * @throws FastcsError (exit code 5) listing every problem of the file at `file:line:column`
 */
export async function loadConfig(
  chartDir: string,
  repoRoot: string,
  options: LoadConfigOptions,
): Promise<SchemaConfig> {
  const local = join(chartDir, CONFIG_FILE);
  if (await pathExists(local)) return await readConfigFile(local, chartDir, options);
  const shared = join(repoRoot, CONFIG_FILE);
  if (chartDir === repoRoot || !(await pathExists(shared))) return { ...defaultConfig(), baseDir: chartDir };
  const fromRoot = await readConfigFile(shared, repoRoot, options);
  const rootRelative = fromRoot.values.length > 0 && fromRoot.values.every((v) => v.includes("/")) &&
    (await Promise.all(fromRoot.values.map((v) => pathExists(resolve(repoRoot, v))))).every(Boolean);
  if (!rootRelative) return await readConfigFile(shared, chartDir, options);
  // The chart it describes: the one holding its output, else (an output outside every chart) the one
  // holding its first values file.
  const inside = (p: string) => !relative(chartDir, resolve(repoRoot, p)).startsWith("..");
  const holder = await chartHolding(resolve(repoRoot, fromRoot.output));
  const outputInAChart = holder !== undefined && holder !== repoRoot && holder.startsWith(repoRoot);
  const mine = inside(fromRoot.output) || (!outputInAChart && inside(fromRoot.values[0]));
  return mine
    ? await readConfigFile(shared, repoRoot, options, true)
    : { ...defaultConfig(), baseDir: chartDir, describedElsewhere: true };
}
