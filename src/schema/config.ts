// The schema configuration file `.schema.yaml`: helm-values-schema-json's format
// (https://github.com/losisin/helm-values-schema-json/blob/main/config.schema.json), read as is so that a
// repo migrates without edits, plus our own keys. A chart's folder is searched first, then the repo root.
import { join } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { type JsonSchema, parseDraft } from "./drafts.ts";
import { DEFAULT_K8S_SCHEMA_URL, type DescriptionMode, type GenerateOptions } from "./generate.ts";
import { compileSchema, formatProblems, validateSource } from "./validate.ts";
import { parseYamlSource } from "./yaml_source.ts";

/** The file name helm-values-schema-json reads, which we read too. */
export const CONFIG_FILE = ".schema.yaml";

/** How links in `schemas/` are made: symlinks, copies, or symlinks with a copy where links fail. */
export type LinkMode = "auto" | "link" | "copy";

/** Schema settings of one chart, with every default filled in. Paths are relative to the chart folder. */
export interface SchemaConfig extends Omit<GenerateOptions, "subCharts"> {
  /** The file the settings came from, or undefined for defaults. */
  file?: string;
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
    aliases: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9_-]+$" } },
    serviceSchema: { type: "boolean" },
    links: { enum: ["auto", "link", "copy"] },
  },
};

/** Defaults when no config file says otherwise (indent 4 and draft 2020-12 as helm-values-schema-json). */
export function defaultConfig(): SchemaConfig {
  return {
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

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new FastcsError(`cannot read ${path}: ${(error as Error).message}`, {
      code: "io.read",
      exitCode: ExitCode.environment,
      cause: error,
    });
  }
}

/**
 * Loads the settings of the chart in `chartDir`: `<chartDir>/.schema.yaml`, else `<repoRoot>/.schema.yaml`,
 * else defaults.
 *
 * @param display turns an absolute path into the path shown in messages
 * @throws FastcsError (exit code 5) listing every problem of the file at `file:line:column`
 */
export async function loadConfig(
  chartDir: string,
  repoRoot: string,
  display: (p: string) => string,
): Promise<SchemaConfig> {
  const config = defaultConfig();
  for (const dir of chartDir === repoRoot ? [chartDir] : [chartDir, repoRoot]) {
    const path = join(dir, CONFIG_FILE);
    const text = await readIfExists(path);
    if (text === undefined) continue;
    const source = parseYamlSource(display(path), text);
    const raw = (source.doc.toJS() ?? {}) as Record<string, unknown>;
    const validate = await compileSchema(CONFIG_SCHEMA, "config schema", "file:///");
    const problems = validateSource(source, validate);
    if (problems.length > 0) {
      throw new FastcsError(`${display(path)}: invalid schema configuration`, {
        code: "config.invalid",
        exitCode: ExitCode.input,
        details: formatProblems(problems),
        hint: 'See the README section "Configuration" for the keys .schema.yaml accepts.',
      });
    }
    config.file = path;
    const values = (raw.values ?? raw.input) as string[] | undefined;
    if (values) config.values = values;
    if (typeof raw.output === "string") config.output = raw.output;
    if (raw.draft !== undefined) config.draft = parseDraft(raw.draft, display(path));
    if (typeof raw.indent === "number") config.indent = raw.indent;
    if (raw.useHelmDocs === true) config.descriptions = "helm-docs";
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
    if (typeof raw.bundleRoot === "string" && raw.bundleRoot !== "") config.bundleRoot = raw.bundleRoot;
    if (raw.schemaRoot) config.schemaRoot = raw.schemaRoot as SchemaConfig["schemaRoot"];
    if (Array.isArray(raw.aliases)) config.aliases = raw.aliases as string[];
    if (typeof raw.links === "string") config.links = raw.links as LinkMode;
    break;
  }
  return config;
}
