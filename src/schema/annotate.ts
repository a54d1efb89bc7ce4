// How `# @schema` annotations change a generated schema: each keyword checked (metaschema, regex, URI) and
// applied where it belongs (item shortcuts into `items`, `$k8s/` and relative `$ref`s expanded), types
// completed from typed keywords on keys without a value, and the generator-only flags read.
import type { SourcePosition } from "../runtime/errors.ts";
import { inputError } from "../runtime/errors.ts";
import { type AnnotationEntry, TYPE_NAMES } from "./annotations.ts";
import { type Draft, isModernDraft, type JsonSchema, NOT_IN_DRAFT7 } from "./drafts.ts";
import { expandK8sRef, K8S_VERSION_HINT } from "./k8s_schemas.ts";
import { jsonType, typeList, unionTypes } from "./merge.ts";
import { checkAnnotationValue, uriProblem } from "./schema_check.ts";
import type { YamlSource } from "../chart/yaml_source.ts";

/** What applying annotations needs of the generator's options. */
export interface AnnotationOptions {
  draft: Draft;
  /** `$k8s/` expands to this URL with `{{ .K8sSchemaVersion }}` replaced by `k8sSchemaVersion`. */
  k8sSchemaURL: string;
  k8sSchemaVersion?: string;
  /** Rewrites a relative file `$ref` written in `sourceFile` (as {@link YamlSource.file} names it) so that it
   * is relative to the chart folder, where bundling and Helm resolve it; helm-values-schema-json resolves a
   * relative `$ref` against the folder of the values file that holds it. */
  rebaseRef?: (ref: string, sourceFile: string) => string;
  /** Referenced documents will be embedded (bundling): only then can a `$ref` name a local file. */
  bundle?: boolean;
}

/** Where annotations are applied: the file they are written in, the options, and where each `$ref` came
 * from (for errors about it later). */
export interface AnnotationScope {
  source: YamlSource;
  options: AnnotationOptions;
  refPositions: Map<string, SourcePosition>;
}

/** Composition keywords: beside them the inferred `type` is dropped, and closing uses
 * `unevaluatedProperties`. */
export const COMPOSITION = ["allOf", "anyOf", "oneOf", "not"];
const TOOL_ONLY = new Set(["required", "hidden", "skipProperties", "mergeProperties", "nullable"]);
const STRING_HINTS = ["pattern", "minLength", "maxLength", "format", "contentEncoding", "contentMediaType"];
const NUMBER_HINTS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const ARRAY_HINTS = ["items", "minItems", "maxItems", "uniqueItems", "contains", "prefixItems"];
const OBJECT_HINTS = [
  "properties",
  "patternProperties",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "propertyNames",
];

const NO_FLAGS = {
  required: false,
  hidden: false,
  skipProperties: false,
  mergeProperties: false,
  nullable: false,
};

/** The generator-only flags of a key's annotations (the last mention of each wins). */
export function toolFlags(annotations: AnnotationEntry[]) {
  if (annotations.length === 0) return NO_FLAGS;
  const flag = (k: string) => {
    const last = annotations.filter((a) => a.keyword === k).pop();
    return last ? last.value === true : false;
  };
  return {
    required: flag("required"),
    hidden: flag("hidden"),
    skipProperties: flag("skipProperties"),
    mergeProperties: flag("mergeProperties"),
    nullable: flag("nullable"),
  };
}

/** True when a `type` keyword value includes `name`. */
export function includesType(type: unknown, name: string): boolean {
  return type === name || (Array.isArray(type) && type.includes(name));
}

function expandRef(walk: AnnotationScope, entry: AnnotationEntry, ref: string): string {
  const { k8sSchemaURL, k8sSchemaVersion, rebaseRef, bundle } = walk.options;
  const problem = uriProblem(ref);
  if (problem) {
    throw inputError(entry.position, `${entry.keyword}: ${JSON.stringify(ref)} ${problem}`, {
      code: "schema.ref",
      hint: "A $ref is a URL, a file path relative to the values file, a #/json/pointer or $k8s/<file>.",
    });
  }
  const relativeFile = !/^([a-z][a-z0-9+.-]*:|#|\/|\$k8s\/)/i.test(ref);
  if (relativeFile && !bundle) {
    // Helm resolves a relative $ref from the file system's root, not the chart (helm/helm#31260): every
    // install would fail. Bundled, the document is embedded instead.
    throw inputError(
      entry.position,
      `${entry.keyword}: the file reference ${JSON.stringify(ref)} needs bundling`,
      {
        code: "schema.ref",
        hint: "Set bundle: true in .schema.yaml (or pass --bundle) to embed it, or use an http(s) URL.",
      },
    );
  }
  if (relativeFile && rebaseRef) return rebaseRef(ref, walk.source.file);
  const expanded = expandK8sRef(ref, k8sSchemaURL, k8sSchemaVersion);
  if (expanded === undefined) {
    throw inputError(entry.position, `${entry.keyword}: "$k8s/" needs a Kubernetes schema version`, {
      code: "schema.k8s",
      hint: K8S_VERSION_HINT,
    });
  }
  return expanded;
}

function items(schema: JsonSchema): JsonSchema {
  if (!schema.items || typeof schema.items !== "object") schema.items = {};
  return schema.items as JsonSchema;
}

/**
 * Applies a key's annotations to its inferred schema (in place).
 *
 * @param isNull the key has no value (bare, `~`, `null`): typed keywords then allow `null` too
 * @throws FastcsError (exit code 5) at the annotation's file:line:column for a value its keyword cannot take
 */
export function applyAnnotations(
  walk: AnnotationScope,
  schema: JsonSchema,
  annotations: AnnotationEntry[],
  isNull: boolean,
) {
  const { draft } = walk.options;
  let explicitType = false;
  for (const entry of annotations) {
    const { keyword, value } = entry;
    if (draft === "7" && NOT_IN_DRAFT7.has(keyword)) {
      throw inputError(entry.position, `${keyword} does not exist in JSON Schema draft 7`, {
        code: "schema.draft",
        hint: "Generate draft 2019-09 or 2020-12 (draft: 2020 in .schema.yaml), or drop the keyword.",
      });
    }
    if (TOOL_ONLY.has(keyword)) continue;
    const ref = keyword === "$ref" || keyword === "itemRef"
      ? expandRef(walk, entry, String(value))
      : undefined;
    if (ref !== undefined) walk.refPositions.set(ref, entry.position);
    checkAnnotationValue(draft, keyword, ref ?? value, entry.position);
    switch (keyword) {
      case "type":
        schema.type = value;
        explicitType = true;
        break;
      case "item":
        items(schema).type = value;
        break;
      case "itemProperties":
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          throw inputError(entry.position, "itemProperties must be an object of property schemas", {
            code: "schema.annotation",
          });
        }
        items(schema).properties = value;
        if (!items(schema).type) items(schema).type = "object";
        break;
      case "itemEnum":
        items(schema).enum = value;
        break;
      case "itemRef":
        items(schema).$ref = ref;
        break;
      case "itemRequired":
        items(schema).required = value;
        break;
      case "$ref":
        schema.$ref = ref;
        break;
      default:
        schema[keyword] = value;
    }
  }
  const has = (k: string) => annotations.some((a) => a.keyword === k);
  if (!explicitType) {
    if (COMPOSITION.some(has)) delete schema.type; // the composed schemas say what the type is
    else if (isNull) {
      const hinted = unionTypes(
        STRING_HINTS.some(has) ? "string" : undefined,
        NUMBER_HINTS.some(has) ? "number" : undefined,
        ARRAY_HINTS.some(has) || ["item", "itemEnum", "itemRef", "itemProperties"].some(has)
          ? "array"
          : undefined,
        OBJECT_HINTS.some(has) ? "object" : undefined,
      );
      if (hinted) schema.type = unionTypes(hinted, "null");
      else if (has("$ref")) delete schema.type;
    }
    for (const k of ["enum", "const"]) {
      if (has(k) && schema.type !== undefined) {
        const values = k === "enum" ? (schema.enum as unknown[]) : [schema.const];
        schema.type = unionTypes(isNull ? undefined : schema.type, ...values.map(jsonType));
      }
    }
  } else if (isNull && !includesType(schema.type, "null")) {
    // A key without a value is unset: keep the values file valid against its own schema.
    schema.type = unionTypes(schema.type, "null");
  }
  if (isNull && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...schema.enum, null];
  }
  if (isNull && "const" in schema && schema.const !== null) {
    schema.enum = [schema.const, null];
    delete schema.const;
  }
  if (toolFlags(annotations).nullable && schema.type !== undefined) {
    schema.type = unionTypes(schema.type, "null");
  }
  for (const t of typeList(schema.type)) {
    if (!TYPE_NAMES.includes(t)) {
      throw inputError(annotations[0].position, `unknown type "${t}"`, { code: "schema.annotation" });
    }
  }
  // additionalProperties: false beside a $ref would reject every property the $ref defines.
  const composed = "$ref" in schema || ["allOf", "anyOf", "oneOf"].some((k) => k in schema);
  if (
    composed && schema.additionalProperties === false && isModernDraft(draft) &&
    !("unevaluatedProperties" in schema)
  ) {
    delete schema.additionalProperties;
    schema.unevaluatedProperties = false;
  }
}
