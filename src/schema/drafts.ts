// The JSON Schema drafts the generator writes, and what differs between them for us.
import { ExitCode, FastcsError } from "../runtime/errors.ts";

import type { JsonSchema } from "../chart/validate.ts";
export type { JsonSchema };

/** The drafts we generate: draft-07, 2019-09 and 2020-12 (https://json-schema.org/specification-links). */
export type Draft = "7" | "2019-09" | "2020-12";

/** The `$schema` URI of each draft. */
export const DRAFT_URI: Record<Draft, string> = {
  "7": "http://json-schema.org/draft-07/schema#",
  "2019-09": "https://json-schema.org/draft/2019-09/schema",
  "2020-12": "https://json-schema.org/draft/2020-12/schema",
};

/** Keywords that draft-07 does not know; using them with draft 7 is an error, not a silent no-op. */
export const NOT_IN_DRAFT7 = new Set([
  "unevaluatedProperties",
  "unevaluatedItems",
  "dependentRequired",
  "dependentSchemas",
  "prefixItems",
  "minContains",
  "maxContains",
  "$defs",
]);

/**
 * Reads a draft as the user may write it: `7`, `2019`, `2019-09`, `2020`, `2020-12` (helm-values-schema-json
 * writes 2019 and 2020).
 *
 * @throws FastcsError (exit code 5) for drafts 4 and 6 or anything else.
 */
export function parseDraft(value: unknown, where: string): Draft {
  const text = String(value);
  if (text === "7" || text === "07") return "7";
  if (text === "2019" || text === "2019-09") return "2019-09";
  if (text === "2020" || text === "2020-12") return "2020-12";
  throw new FastcsError(`${where}: JSON Schema draft ${JSON.stringify(value)} is not supported`, {
    code: "schema.draft",
    exitCode: ExitCode.input,
    hint:
      "Use draft 7, 2019 (2019-09) or 2020 (2020-12, the default). Helm 3.18.5+ and Helm 4 honour all three; " +
      "Helm 3.18.4 and older validate draft 7 only.",
  });
}

/** True for drafts that have `unevaluatedProperties` and allow keywords beside `$ref` (2019-09 on). */
export function isModernDraft(draft: Draft): boolean {
  return draft !== "7";
}

// Output key order: the keywords people read first come first; data (enum, default) keeps its own order.
const ORDER = [
  "$schema",
  "$id",
  "$ref",
  "$comment",
  "title",
  "description",
  "deprecated",
  "readOnly",
  "writeOnly",
  "type",
  "enum",
  "const",
  "default",
  "examples",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "contentEncoding",
  "contentMediaType",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "items",
  "prefixItems",
  "additionalItems",
  "unevaluatedItems",
  "contains",
  "minContains",
  "maxContains",
  "minItems",
  "maxItems",
  "uniqueItems",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "propertyNames",
  "required",
  "minProperties",
  "maxProperties",
  "dependentRequired",
  "dependentSchemas",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "$defs",
  "definitions",
];
const RANK = new Map(ORDER.map((k, i) => [k, i]));
const SCHEMA_VALUED = new Set([
  "items",
  "additionalItems",
  "unevaluatedItems",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
]);
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
const SCHEMA_LISTS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);

/**
 * Returns a copy of a schema with keywords in a fixed order at every level, so that output is stable
 * whatever order annotations were written in. Property names keep their values-file order.
 */
export function orderSchema(schema: unknown): unknown {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const input = schema as JsonSchema;
  const keys = Object.keys(input).sort((a, b) => {
    const ra = RANK.get(a) ?? ORDER.length;
    const rb = RANK.get(b) ?? ORDER.length;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: JsonSchema = {};
  for (const key of keys) {
    const value = input[key];
    if (SCHEMA_VALUED.has(key)) out[key] = orderSchema(value);
    else if (SCHEMA_MAPS.has(key) && value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, orderSchema(v)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map(orderSchema);
    else out[key] = value;
  }
  return out;
}

/**
 * Draft-07 ignores every keyword beside `$ref`; there the generator moves `$ref` into `allOf` so that both
 * the reference and the generated keywords apply (helm-values-schema-json moves the other keywords into
 * `allOf` instead, which breaks pointers to them).
 */
export function wrapRefsForDraft7(schema: unknown): unknown {
  if (schema === null || typeof schema !== "object") return schema;
  if (Array.isArray(schema)) return schema.map(wrapRefsForDraft7);
  const input = schema as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] = (SCHEMA_VALUED.has(key) || SCHEMA_LISTS.has(key))
      ? wrapRefsForDraft7(value)
      : SCHEMA_MAPS.has(key) && value && typeof value === "object"
      ? Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, wrapRefsForDraft7(v)]))
      : value;
  }
  const annotationsOnly = new Set([
    "$ref",
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "$defs",
    "definitions",
  ]);
  if (typeof out.$ref === "string" && Object.keys(out).some((k) => !annotationsOnly.has(k))) {
    // Only the $ref moves: every other keyword stays where it is, so JSON pointers into the schema
    // (`#/properties/image`, from annotations or a bundled document) keep pointing at what they named.
    const ref = out.$ref;
    delete out.$ref;
    out.allOf = [{ $ref: ref }, ...(Array.isArray(out.allOf) ? out.allOf : [])];
  }
  return out;
}

/** Keywords whose values are data, not subschemas: a walk over a schema's subschemas does not enter them. */
export const DATA_KEYWORDS: ReadonlySet<string> = new Set(["enum", "const", "default", "examples"]);

/** One segment of a JSON Pointer in a URI fragment, decoded (RFC 6901 and RFC 3986: `%xx`, `~1`, `~0`). */
export function decodePointerSegment(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~");
}
