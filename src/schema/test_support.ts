// Shared helpers of the schema unit tests (not part of the CLI).
import { Ajv2020 } from "../deps/ajv.ts";
import { DEFAULT_K8S_SCHEMA_URL, type GenerateOptions, generateSchema } from "./generate.ts";
import type { JsonSchema } from "./drafts.ts";
import { parseYamlSource } from "../chart/yaml_source.ts";
import { loadSchemaChecks } from "./schema_check.ts";

await loadSchemaChecks(); // gen() checks annotated schemas against the metaschema

/** Generates a schema from YAML texts (merged in order) with test defaults. */
export function gen(
  texts: string | string[],
  options: Partial<GenerateOptions> = {},
): JsonSchema {
  const sources = (Array.isArray(texts) ? texts : [texts]).map((t, i) =>
    parseYamlSource(`values${i || ""}.yaml`, t)
  );
  const schema = generateSchema(sources, {
    draft: "2020-12",
    descriptions: "auto",
    noAdditionalProperties: false,
    noDefaultGlobal: false,
    k8sSchemaURL: DEFAULT_K8S_SCHEMA_URL,
    schemaRoot: {},
    ...options,
  });
  return schema;
}

/** The schema of a dotted property path (`a.b`). */
export function prop(schema: JsonSchema, path: string): JsonSchema {
  let s = schema;
  for (const key of path.split(".")) s = (s.properties as Record<string, JsonSchema>)[key];
  return s;
}

/** Validates data with an independent 2020-12 validator; returns the error count. */
export function errorsOf(schema: JsonSchema, data: unknown): number {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // The tests' remote $refs point here; an open object stands in for the referenced document.
  ajv.addSchema({ $id: "https://e.com/s.json", type: "object" });
  const validate = ajv.compile(schema);
  return validate(data) ? 0 : validate.errors!.length;
}
