// The `helm fastcs schema validate` job as data: which values files are coalesced into one set of values
// (as Helm would: the chart's defaults, a services repo's shared values, the `-f` files, then the file named),
// which schema judges them (`--schema`, the file's `# yaml-language-server: $schema=` modeline, or the chart's
// own), and the problems found, each at the file:line:column that gave the value.
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ValidateFunction } from "../deps/ajv.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { pathExists } from "../runtime/fs.ts";
import { chartHolding, findCharts, findRepoRoot } from "../chart/charts.ts";
import { loadConfig } from "./config.ts";
import type { JsonSchema } from "./drafts.ts";
import { checkLocalRefs } from "./schema_check.ts";
import { coalesceLayers, isMapping, mergeValues } from "../chart/coalesce.ts";
import { readSubCharts, type SubChart, subChartEnabled } from "../chart/subcharts.ts";
import {
  asSchemaDocument,
  compileSchema,
  validateData,
  validateLayers,
  type ValuesProblem,
} from "../chart/validate.ts";
import { parseYamlSource, readYamlFile, valuesData, type YamlSource } from "../chart/yaml_source.ts";

/** One set of values to validate: files coalesced in order (lowest precedence first) and the schema. */
export interface ValidationJob {
  /** Absolute paths, lowest precedence first; the last is the file being validated. */
  layers: string[];
  /** Absolute path or http(s) URL of the schema. */
  schema: string;
  /** The chart the values are for, when known: its vendored sub-charts are validated too, as Helm does. */
  chartDir?: string;
  /** The schema is the chart's own `values.schema.json` by default: a chart without one is no error when its
   * sub-charts have schemas (Helm then checks only theirs). */
  chartDefault?: boolean;
}

/** The result of one job. */
export interface ValidationResult {
  job: ValidationJob;
  problems: ValuesProblem[];
}

/** Options of {@link planValidation}. */
export interface ValidationOptions {
  cwd: string;
  /** Values files to validate, each on its own (after the layers below). */
  files: string[];
  /** `-f` files, coalesced in order under each file (or validated together when `files` is empty). */
  values: string[];
  /** Values shared by every service (a services repo's `services/values.yaml`); auto-detected when absent. */
  shared?: string[];
  /** The schema for every file (path or http(s) URL). */
  schema?: string;
  /** The charts folder, when neither files nor `-f` files are given. */
  chartsDir?: string;
  display: (p: string) => string;
  warn: (message: string) => void;
}

const MODELINE = /^#\s*yaml-language-server:\s*\$schema=(\S+)/m;

/** The schema a values file names in its editor modeline (`# yaml-language-server: $schema=...`). */
function modelineSchema(text: string, file: string): string | undefined {
  const m = MODELINE.exec(text);
  if (!m) return undefined;
  return /^https?:\/\//.test(m[1]) ? m[1] : resolve(dirname(file), m[1]);
}

/**
 * Works out the validation jobs: without files, each chart's values files against its own schema; else one
 * job per file, its layers being the chart's default values (when the file is inside a chart and not one of
 * them), the shared values (`shared`, or a `values.yaml` one folder up from a service folder that is not a
 * chart itself: the services-repo layout), the `-f` files, then the file.
 *
 * @throws FastcsError exit code 2 when a file has no schema to check it against; 5 for unreadable input
 */
export async function planValidation(options: ValidationOptions): Promise<ValidationJob[]> {
  const { cwd, display } = options;
  const abs = (p: string) => resolve(cwd, p);
  if (options.schema && /^https?:\/\//.test(options.schema) && !URL.canParse(options.schema)) {
    throw new FastcsError(`--schema ${options.schema} is not a valid URL`, {
      code: "validate.schema-url",
      exitCode: ExitCode.input,
      hint: "Give a schema file or an http(s) URL.",
    });
  }
  const schemaOption = options.schema && !/^https?:\/\//.test(options.schema)
    ? abs(options.schema)
    : options.schema;
  const values = options.values.map(abs);
  if (options.files.length === 0 && values.length === 0) {
    if (!options.chartsDir) throw new Error("planValidation needs files, values or chartsDir");
    const repoRoot = await findRepoRoot(options.chartsDir, cwd);
    const jobs: ValidationJob[] = [];
    for (const chart of await findCharts(options.chartsDir, display)) {
      const config = await loadConfig(chart.dir, repoRoot, { display, warn: options.warn });
      const layers = config.values.map((v) => resolve(config.baseDir, v));
      if (!(await pathExists(layers[0]))) continue; // no values: nothing to validate (schema skips it too)
      jobs.push({
        layers,
        schema: schemaOption ?? resolve(config.baseDir, config.output),
        chartDir: chart.dir,
        chartDefault: schemaOption === undefined,
      });
    }
    return jobs;
  }
  const targets = options.files.length > 0 ? options.files.map(abs) : [values[values.length - 1]];
  const below = options.files.length > 0 ? values : values.slice(0, -1);
  const jobs: ValidationJob[] = [];
  for (const file of targets) {
    // The chart the values are for: the one holding the file, else the one holding the schema named.
    const chartDir = await chartHolding(file) ??
      (schemaOption && !/^https?:\/\//.test(schemaOption) ? await chartHolding(schemaOption) : undefined);
    const layers: string[] = [];
    if (chartDir) {
      const repoRoot = await findRepoRoot(chartDir, cwd);
      const config = await loadConfig(chartDir, repoRoot, { display, warn: options.warn });
      for (const v of config.values.map((v) => resolve(config.baseDir, v))) {
        if (v !== file && !below.includes(v) && await pathExists(v)) layers.push(v);
      }
    }
    for (const s of options.shared?.map(abs) ?? await detectShared(file, chartDir)) {
      if (s !== file && !layers.includes(s)) layers.push(s);
    }
    layers.push(...below.filter((v) => v !== file), file);
    const named = schemaOption ?? modelineSchema(await readYamlFile(file, display), file);
    const schema = named ?? (chartDir ? join(chartDir, "values.schema.json") : undefined);
    if (!schema) {
      throw new FastcsError(`${display(file)} is not inside a chart and names no schema`, {
        code: "validate.no-schema",
        exitCode: ExitCode.usage,
        hint: "Name the schema with --schema (a file or an https URL), or add a modeline to the file: " +
          "# yaml-language-server: $schema=<path or URL>",
      });
    }
    jobs.push({ layers, schema, chartDir, chartDefault: named === undefined });
  }
  return jobs;
}

// A services repo keeps values shared by all services in services/values.yaml, merged under each
// services/<name>/values.yaml (p47-services' layout): a values.yaml one folder up, outside any chart.
async function detectShared(file: string, chartDir: string | undefined): Promise<string[]> {
  const up = dirname(dirname(file));
  const shared = join(up, "values.yaml");
  if (shared === file || !(await pathExists(shared))) return [];
  if (await pathExists(join(up, "Chart.yaml"))) return [];
  if (chartDir && !relative(chartDir, up).startsWith("..")) return [];
  return [shared];
}

/** Options of {@link runValidation}. */
export interface RunValidationOptions {
  display: (p: string) => string;
  /** Loads an http(s) document (schemas and their remote `$ref`s), cached for offline use. */
  fetchUrl: (url: string) => Promise<string>;
}

function readSchema(where: string, text: string, display: string): JsonSchema {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FastcsError(`${display}: not valid JSON: ${(error as Error).message}`, {
      code: "schema.json",
      exitCode: ExitCode.input,
      hint: /^https?:\/\//.test(where)
        ? "Check that the URL serves a JSON Schema (a document that does not parse is not cached)."
        : "Regenerate it with `helm fastcs schema`.",
    });
  }
  const schema = asSchemaDocument(value);
  if (schema === undefined) {
    throw new FastcsError(`${display}: not a JSON Schema (it holds ${JSON.stringify(value)})`, {
      code: "schema.not-schema",
      exitCode: ExitCode.input,
      hint: `A schema is a JSON object; check ${where}.`,
    });
  }
  return schema;
}

/** Compiles a schema once per `key`; `schema` is read only when it is not compiled yet. */
type CompiledFor = (
  key: string,
  label: string,
  baseUrl: string,
  schema: () => Promise<JsonSchema> | JsonSchema,
) => Promise<ValidateFunction>;

/** Runs the jobs; every schema is compiled once. */
export async function runValidation(
  jobs: ValidationJob[],
  options: RunValidationOptions,
): Promise<ValidationResult[]> {
  const { display } = options;
  const load = async (location: string): Promise<JsonSchema> => {
    if (/^https?:\/\//.test(location)) {
      return readSchema(location, await options.fetchUrl(location), location);
    }
    return readSchema(location, await readYamlFile(location, display), display(location));
  };
  // Every schema (a job's, or a sub-chart's) is compiled once, keyed by where it is.
  const compiled = new Map<string, ValidateFunction>();
  const compiledFor: CompiledFor = async (key, label, baseUrl, schema) => {
    let v = compiled.get(key);
    if (!v) {
      const document = await schema();
      checkLocalRefs(document, label);
      v = await compileSchema(
        document,
        label,
        baseUrl,
        (url) => load(url.startsWith("file:") ? fileURLToPath(url) : url),
      );
      compiled.set(key, v);
    }
    return v;
  };
  // A file under several jobs (a chart's values.yaml, the shared services/values.yaml) is read and parsed
  // once, and a chart's sub-charts (archives among them) are read once: sources are never changed by use.
  const sourceOf = readOnce((path) =>
    readYamlFile(path, display).then((text) => parseYamlSource(display(path), text))
  );
  const subChartsOf = readOnce((chartDir) => readSubCharts(chartDir, display));
  const results: ValidationResult[] = [];
  for (const job of jobs) {
    const layers = await Promise.all(job.layers.map(sourceOf));
    const problems: ValuesProblem[] = [];
    const subCharts = job.chartDir ? await subChartsOf(job.chartDir) : [];
    // A chart without a schema of its own: Helm checks only its sub-charts' (when they have one).
    const skipOwn = job.chartDefault && !(await pathExists(job.schema)) && subCharts.some((s) => s.schema);
    if (!skipOwn) {
      const isUrl = /^https?:\/\//.test(job.schema);
      const validate = await compiledFor(
        job.schema,
        isUrl ? job.schema : display(job.schema),
        isUrl ? job.schema : pathToFileURL(dirname(job.schema) + "/").href,
        () => load(job.schema),
      );
      problems.push(...validateLayers(layers, validate));
    }
    problems.push(...await validateSubCharts(subCharts, layers, compiledFor));
    results.push({ job, problems });
  }
  return results;
}

/**
 * Validates each enabled sub-chart (vendored under the chart's `charts/`) that has a schema, as Helm does after
 * the parent: the sub-chart's defaults, overridden by the parent's values under the sub-chart's key, with the
 * parent's `global` merged into its own. Problems are located in the parent's files (or the sub-chart's
 * defaults), with paths from the parent's root (`mysql.auth.password`).
 */
async function validateSubCharts(
  subCharts: SubChart[],
  layers: YamlSource[],
  compiledFor: CompiledFor,
): Promise<ValuesProblem[]> {
  if (subCharts.length === 0) return [];
  const parentValues = coalesceLayers(layers);
  const parent = isMapping(parentValues) ? parentValues : {};
  const problems: ValuesProblem[] = [];
  for (const sub of subCharts) {
    if (!sub.schema || !subChartEnabled(sub, parent)) continue;
    const defaults = sub.values ? parseYamlSource(sub.values.file, sub.values.text) : undefined;
    const own = defaults ? valuesData(defaults) : {};
    const fromParent = isMapping(parent[sub.key]) ? parent[sub.key] as Record<string, unknown> : {};
    const data = mergeValues(isMapping(own) ? own : {}, fromParent);
    data.global = mergeValues(
      isMapping(data.global) ? data.global : {},
      isMapping(parent.global) ? parent.global : {},
    );
    const { where, text, baseUrl } = sub.schema;
    const validate = await compiledFor(where, where, baseUrl, () => readSchema(where, text, where));
    const fromDefaults = defaults ? [{ source: defaults, prefix: [] }] : [];
    problems.push(
      ...validateData(
        data,
        validate,
        (segments) =>
          segments[0] === "global"
            ? [...fromDefaults, ...layers.map((source) => ({ source, prefix: [] }))]
            : [...fromDefaults, ...layers.map((source) => ({ source, prefix: [sub.key] }))],
        sub.schema.where,
      )
        .map((p) => // Paths read from the parent's root, and say which schema judged them.
        ({ ...p, message: `${p.message} (sub-chart ${sub.key}: ${sub.schema!.where})` })),
    );
  }
  return problems;
}

/** `read`, called once per key: later calls with the same key share the first call's promise. */
function readOnce<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const started = new Map<string, Promise<T>>();
  return (key) => {
    let value = started.get(key);
    if (!value) started.set(key, value = read(key));
    return value;
  };
}
