// Generation of a values schema from values files and their comments. The rules, in short (the README
// has them in full): the type of every key is inferred from its value; `# @schema` annotations on the
// key's line, the line above or the line below add or override keywords; ordinary and helm-docs
// (`# --`) comments above a key become its description; several values files merge, the later winning.
import { isAlias, isMap, isScalar, isSeq } from "../deps.ts";
import type { Pair, YamlNode } from "../deps.ts";
import { inputError } from "../runtime/errors.ts";
import { type AnnotationEntry, annotationText, parseAnnotation, TYPE_NAMES } from "./annotations.ts";
import {
  type Draft,
  DRAFT_URI,
  isModernDraft,
  type JsonSchema,
  NOT_IN_DRAFT7,
  orderSchema,
  wrapRefsForDraft7,
} from "./drafts.ts";
import { nodeEndLine, nodeStart, resolveNode, type YamlComment, type YamlSource } from "./yaml_source.ts";

/** Where descriptions come from: `auto` (helm-docs `# --` comments, else plain comments above a key),
 * `helm-docs` (only `# --` comments, as helm-values-schema-json's `useHelmDocs`), or `none`. */
export type DescriptionMode = "auto" | "helm-docs" | "none";

/** Options of {@link generateSchema}. */
export interface GenerateOptions {
  draft: Draft;
  descriptions: DescriptionMode;
  /** Close every generated object that has properties (`additionalProperties: false`, or
   * `unevaluatedProperties: false` where a `$ref` or composition sits beside, from 2019-09 on). */
  noAdditionalProperties: boolean;
  /** Do not add a `global` property to a closed root. */
  noDefaultGlobal: boolean;
  /** `$k8s/` expands to this URL with `{{ .K8sSchemaVersion }}` replaced by `k8sSchemaVersion`. */
  k8sSchemaURL: string;
  k8sSchemaVersion?: string;
  /** Keywords set on the root schema (helm-values-schema-json's `schemaRoot`). */
  schemaRoot: {
    id?: string;
    title?: string;
    description?: string;
    ref?: string;
    additionalProperties?: boolean | null;
  };
  /** Receives warnings (bare keys typed null, misplaced keywords). */
  warn: (message: string) => void;
}

/** The default `$k8s/` URL template (the same as helm-values-schema-json's). */
export const DEFAULT_K8S_SCHEMA_URL =
  "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/refs/heads/master/{{ .K8sSchemaVersion }}/";

const COMPOSITION = ["allOf", "anyOf", "oneOf", "not"];
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

interface Walk {
  source: YamlSource;
  options: GenerateOptions;
  /** Nodes being expanded (alias cycles stop here). */
  stack: Set<unknown>;
  bareKeys: string[];
}

/**
 * Generates the values schema of a chart from its values files (later files win, as `helm -f a -f b`).
 *
 * @param sources parsed values files, in merge order
 * @returns the root schema with `$schema` for the draft, keywords in a stable order
 * @throws FastcsError (exit code 5) for a bad annotation, naming `file:line:column`
 */
export function generateSchema(sources: YamlSource[], options: GenerateOptions): JsonSchema {
  let root: JsonSchema = { type: "object" };
  const bareKeys: string[] = [];
  for (const source of sources) {
    const walk: Walk = { source, options, stack: new Set(), bareKeys };
    const contents = source.doc.contents as YamlNode | null;
    const node = resolveNode(source, contents);
    let schema: JsonSchema;
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) {
      schema = { type: "object" };
    } else if (isMap(node)) schema = objectSchema(walk, node as unknown as { items: Pair[] }, [], []);
    else {
      throw inputError(
        source.position(nodeStart(node)),
        "a values file must hold a mapping of keys to values at the top level",
        {
          code: "values.shape",
        },
      );
    }
    root = mergeOverride(root, schema);
  }
  if (bareKeys.length > 0) {
    options.warn(
      `${bareKeys.length} key(s) without a value get type null, so any value a user sets fails validation ` +
        `(first: ${bareKeys[0]}). Annotate them, e.g. "# @schema type: [string, null]".`,
    );
  }
  return finishRoot(root, options);
}

function finishRoot(root: JsonSchema, options: GenerateOptions): JsonSchema {
  const { schemaRoot } = options;
  const out: JsonSchema = { $schema: DRAFT_URI[options.draft], ...root };
  if (schemaRoot.id) out.$id = schemaRoot.id;
  if (schemaRoot.title) out.title = schemaRoot.title;
  if (schemaRoot.description) out.description = schemaRoot.description;
  if (schemaRoot.ref) out.$ref = schemaRoot.ref;
  if (schemaRoot.additionalProperties === true || schemaRoot.additionalProperties === false) {
    delete out.unevaluatedProperties;
    out.additionalProperties = schemaRoot.additionalProperties;
  } else if (
    options.noAdditionalProperties && !("additionalProperties" in out) && !("unevaluatedProperties" in out)
  ) {
    closeObject(out, options.draft);
  }
  // Helm hands every chart a `global` key (https://helm.sh/docs/chart_template_guide/subcharts_and_globals/);
  // a closed root without it rejects the chart as a sub-chart.
  const closed = out.additionalProperties === false || out.unevaluatedProperties === false;
  const props = (out.properties ?? {}) as JsonSchema;
  if (closed && !options.noDefaultGlobal && !("global" in props)) {
    out.properties = {
      ...props,
      global: { description: "Values Helm shares with every sub-chart.", type: "object" },
    };
  }
  const shaped = options.draft === "7" ? wrapRefsForDraft7(out) : out;
  return orderSchema(shaped) as JsonSchema;
}

function closeObject(schema: JsonSchema, draft: Draft) {
  const composed = "$ref" in schema || COMPOSITION.some((k) => k in schema);
  if (composed && isModernDraft(draft)) schema.unevaluatedProperties = false;
  else schema.additionalProperties = false;
}

// ---- comments ---------------------------------------------------------------------------------------

interface Attached {
  annotations: AnnotationEntry[];
  description?: string;
}

function indentOf(line: string | undefined): number {
  if (line === undefined || line.trim() === "") return -1;
  return line.length - line.trimStart().length;
}

/** The comments that belong to a key at (line, column) whose value ends on `endLine` (0-based). */
function attachedComments(
  walk: Walk,
  line: number,
  column: number,
  endLine: number,
  takeSameLine: boolean,
): Attached {
  const { comments, lines } = walk.source;
  const above: YamlComment[] = [];
  for (let l = line - 1; l >= 0; l--) {
    const c = comments.get(l);
    if (!c || !c.fullLine || c.column !== column) break;
    above.unshift(c);
  }
  const same = takeSameLine ? comments.get(line) : undefined;
  const below: YamlComment[] = [];
  let l = endLine + 1;
  for (; l < lines.length; l++) {
    const c = comments.get(l);
    if (!c || !c.fullLine || c.column !== column) break;
    below.push(c);
  }
  // A comment run directly followed by a sibling key is that key's "above" block, not ours.
  const belowIsOurs = below.length > 0 && indentOf(lines[l]) !== column;
  const annotations: AnnotationEntry[] = [];
  const all = [...above, ...(same && !same.fullLine ? [same] : []), ...(belowIsOurs ? below : [])];
  for (const c of all) {
    const text = annotationText(c.text);
    if (text === undefined) continue;
    const lineText = lines[c.line];
    const at = lineText.indexOf("@schema", c.column) + "@schema".length;
    const start = at + (lineText.slice(at).length - lineText.slice(at).trimStart().length);
    annotations.push(
      ...parseAnnotation(text, { file: walk.source.file, line: c.line + 1, column: start + 1 }),
    );
  }
  return {
    annotations,
    description: describe(walk.options.descriptions, above, same && !same.fullLine ? same : undefined),
  };
}

function describe(
  mode: DescriptionMode,
  above: YamlComment[],
  same: YamlComment | undefined,
): string | undefined {
  if (mode === "none") return undefined;
  const texts = above.map((c) => c.text).filter((t) => annotationText(t) === undefined);
  const docStart = texts.findIndex((t) => /^--(\s|$)/.test(t.replace(/^#+\s*/, "")));
  let lines: string[];
  if (docStart >= 0) {
    // helm-docs: `# -- text` starts the description; following comment lines continue it; `# @default --`
    // and other helm-docs `@` lines are not part of it (https://github.com/norwoodj/helm-docs).
    lines = texts.slice(docStart).filter((t) => !/^@\w+/.test(t.replace(/^#+\s*/, "")));
    lines[0] = lines[0].replace(/^#*\s*--\s?/, "").replace(/^\((\w+)\)\s*/, "");
  } else if (mode === "auto") {
    lines = texts.filter((t) => !/^@\w+/.test(t.replace(/^#+\s*/, "")));
  } else return undefined;
  let text = lines.map((t) => t.replace(/^#+\s?/, "").trimEnd()).join("\n").trim();
  if (text === "" && mode === "auto" && same && annotationText(same.text) === undefined) {
    text = same.text.trim();
  }
  if (/^[-#=*\s]*$/.test(text)) return undefined;
  return text;
}

// ---- values ------------------------------------------------------------------------------------------

function lineCol(walk: Walk, node: YamlNode | null | undefined) {
  return walk.source.lineCol(nodeStart(node));
}

function pairsOf(walk: Walk, map: { items: Pair[] }): Pair[] {
  // Merge keys (`<<: *base`, `<<: [*a, *b]`) bring the aliased pairs first; explicit keys override them.
  const merged: Pair[] = [];
  const own: Pair[] = [];
  for (const pair of map.items) {
    const key = pair.key as YamlNode | null;
    const isMergeKey = isScalar(key) && (key.value === "<<" || typeof key.value === "symbol");
    if (isMergeKey && (isAlias(pair.value) || isSeq(pair.value))) {
      const sources = isSeq(pair.value) ? (pair.value.items as YamlNode[]) : [pair.value as YamlNode];
      for (const s of sources) {
        const target = resolveNode(walk.source, s);
        if (isMap(target) && !walk.stack.has(target)) {
          merged.push(...pairsOf(walk, target as unknown as { items: Pair[] }));
        }
      }
    } else own.push(pair);
  }
  return [...merged, ...own];
}

function keyName(key: unknown): string {
  if (isScalar(key)) return key.value === null ? "null" : String(key.value);
  return "null";
}

function objectSchema(
  walk: Walk,
  map: { items: Pair[] },
  path: string[],
  annotations: AnnotationEntry[],
): JsonSchema {
  walk.stack.add(map);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const pair of pairsOf(walk, map)) {
    const keyNode = pair.key as YamlNode | null;
    if (isMap(keyNode) || isSeq(keyNode)) {
      // sigs.k8s.io/yaml, which Helm reads values with, refuses such keys too.
      throw inputError(
        walk.source.position(nodeStart(keyNode)),
        "a values key must be a string, number or boolean, not a list or mapping",
        {
          code: "values.key",
        },
      );
    }
    const name = keyName(keyNode);
    const { line, column } = lineCol(walk, keyNode);
    const value = pair.value as YamlNode | null;
    const endLine = nodeEndLine(walk.source, value ?? keyNode, line);
    const attached = attachedComments(walk, line, column, endLine, true);
    const flags = toolFlags(attached.annotations);
    const child = valueSchema(walk, value, [...path, name], attached.annotations, keyNode);
    if (attached.description !== undefined && child.description === undefined) {
      child.description = attached.description;
    }
    delete properties[name]; // a repeated key: the later one wins, and takes the later place
    if (flags.hidden) continue;
    properties[name] = child;
    if (flags.required && !required.includes(name)) required.push(name);
  }
  walk.stack.delete(map);
  const schema: JsonSchema = { type: "object" };
  const flags = toolFlags(annotations);
  if (flags.mergeProperties) {
    const merged = Object.values(properties).reduce<JsonSchema | undefined>(
      (acc, s) => (acc ? mergeUnion(acc, s) : s),
      undefined,
    );
    if (merged) schema.additionalProperties = merged;
  } else if (!flags.skipProperties && Object.keys(properties).length > 0) {
    schema.properties = properties;
    if (required.length > 0) schema.required = required;
  }
  return schema;
}

function arraySchema(walk: Walk, seq: { items: unknown[] }, path: string[]): JsonSchema {
  walk.stack.add(seq);
  let items: JsonSchema | undefined;
  for (const item of seq.items as YamlNode[]) {
    const { line, column } = lineCol(walk, item);
    const lineText = walk.source.lines[line] ?? "";
    const dash = lineText.lastIndexOf("-", column);
    // Only items of a block sequence (`- value` lines) carry annotations; in a flow sequence the line's
    // comment belongs to the key. A mapping item's first key shares the dash line, and its comment too.
    const blockItem = dash >= 0 && lineText.slice(0, dash).trim() === "" &&
      lineText.slice(dash + 1, column).trim() === "";
    const itemIsCollection = isMap(item) || isSeq(item);
    const attached = blockItem
      ? attachedComments(walk, line, dash, nodeEndLine(walk.source, item, line), !itemIsCollection)
      : { annotations: [] };
    const schema = valueSchema(walk, item, [...path, "[]"], attached.annotations, item);
    items = items ? mergeUnion(items, schema) : schema;
  }
  walk.stack.delete(seq);
  return items ? { type: "array", items } : { type: "array" };
}

function scalarType(node: YamlNode): string {
  const value = (node as { value: unknown }).value;
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number" || typeof value === "bigint") {
    const raw = ((node as { srcToken?: { source?: string } }).srcToken?.source ?? String(value)).trim();
    if (/^[-+]?0x/i.test(raw) || /^[-+]?0o?[0-7]+$/.test(raw)) return "integer";
    return Number.isInteger(Number(value)) && !/[.eE]|inf|nan/i.test(raw) ? "integer" : "number";
  }
  return "string"; // strings, and YAML 1.1 timestamps, which Helm turns into strings in JSON
}

function valueSchema(
  walk: Walk,
  node: YamlNode | null,
  path: string[],
  annotations: AnnotationEntry[],
  at: YamlNode | null,
): JsonSchema {
  let schema: JsonSchema;
  let isNull = false;
  const target = resolveNode(walk.source, node);
  if (target && walk.stack.has(target)) schema = {}; // an alias inside its own anchor: anything goes
  else if (isMap(target)) {
    schema = objectSchema(walk, target as unknown as { items: Pair[] }, path, annotations);
  } else if (isSeq(target)) schema = arraySchema(walk, target as unknown as { items: unknown[] }, path);
  else if (target === null || target === undefined) {
    schema = { type: "null" };
    isNull = true;
  } else {
    const type = scalarType(target);
    schema = { type };
    isNull = type === "null";
  }
  applyAnnotations(walk, schema, annotations, isNull);
  if (isNull && schema.type === "null" && !annotations.some((a) => a.keyword === "type")) {
    const pos = walk.source.position(nodeStart(at));
    walk.bareKeys.push(`${pos.file}:${pos.line}:${pos.column} ${path.join(".")}`);
  }
  if (
    walk.options.noAdditionalProperties && includesType(schema.type, "object") && schema.properties &&
    !("additionalProperties" in schema) && !("unevaluatedProperties" in schema)
  ) {
    closeObject(schema, walk.options.draft);
  }
  return schema;
}

// ---- annotations -------------------------------------------------------------------------------------

const NO_FLAGS = {
  required: false,
  hidden: false,
  skipProperties: false,
  mergeProperties: false,
  nullable: false,
};

function toolFlags(annotations: AnnotationEntry[]) {
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

function includesType(type: unknown, name: string): boolean {
  return type === name || (Array.isArray(type) && type.includes(name));
}

function typeList(type: unknown): string[] {
  if (type === undefined) return [];
  return Array.isArray(type) ? type.map(String) : [String(type)];
}

/** Union of JSON Schema types; `integer` folds into `number`. Returns one name or a list. */
export function unionTypes(...types: unknown[]): string | string[] | undefined {
  const all: string[] = [];
  for (const t of types) for (const name of typeList(t)) if (!all.includes(name)) all.push(name);
  const names = all.includes("number") ? all.filter((t) => t !== "integer") : all;
  if (names.length === 0) return undefined;
  return names.length === 1 ? names[0] : names;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value === "object" ? "object" : typeof value;
}

function expandRef(walk: Walk, entry: AnnotationEntry, ref: string): string {
  if (!ref.startsWith("$k8s/")) return ref;
  const { k8sSchemaURL, k8sSchemaVersion } = walk.options;
  if (!k8sSchemaVersion) {
    throw inputError(entry.position, `${entry.keyword}: "$k8s/" needs a Kubernetes schema version`, {
      code: "schema.k8s",
      hint: "Set k8sSchemaVersion in .schema.yaml (e.g. v1.33.1) or pass --k8s-schema-version.",
    });
  }
  const base = k8sSchemaURL.replace(/\{\{\s*\.K8sSchemaVersion\s*\}\}/g, k8sSchemaVersion);
  return base.replace(/\/?$/, "/") + ref.slice("$k8s/".length);
}

function items(schema: JsonSchema): JsonSchema {
  if (!schema.items || typeof schema.items !== "object") schema.items = {};
  return schema.items as JsonSchema;
}

function applyAnnotations(walk: Walk, schema: JsonSchema, annotations: AnnotationEntry[], isNull: boolean) {
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
        items(schema).$ref = expandRef(walk, entry, String(value));
        break;
      case "itemRequired":
        items(schema).required = value;
        break;
      case "$ref":
        schema.$ref = expandRef(walk, entry, String(value));
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
  if (toolFlags(annotations).nullable) schema.type = unionTypes(schema.type ?? [], "null");
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

// ---- merging -----------------------------------------------------------------------------------------

/** Merges values files' schemas: keywords of `b` win; properties merge key by key; `required` unites. */
export function mergeOverride(a: JsonSchema, b: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (key === "properties" && isObject(a.properties) && isObject(value)) {
      const props: Record<string, JsonSchema> = { ...(a.properties as Record<string, JsonSchema>) };
      for (const [name, s] of Object.entries(value as Record<string, JsonSchema>)) {
        props[name] = isObject(props[name]) && isObject(s) ? mergeOverride(props[name], s) : s;
      }
      out.properties = props;
    } else if (key === "required" && Array.isArray(a.required) && Array.isArray(value)) {
      out.required = [...new Set([...(a.required as string[]), ...(value as string[])])];
    } else if (key === "items" && isObject(a.items) && isObject(value)) {
      out.items = mergeOverride(a.items as JsonSchema, value as JsonSchema);
    } else out[key] = value;
  }
  return out;
}

/** Merges the schemas of a list's elements so that every element validates: types unite, properties
 * merge, the first element's other keywords win. */
export function mergeUnion(a: JsonSchema, b: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...b, ...a };
  if (a.type === undefined || b.type === undefined) delete out.type;
  else out.type = unionTypes(a.type, b.type);
  if (isObject(a.properties) || isObject(b.properties)) {
    const props: Record<string, JsonSchema> = { ...((b.properties ?? {}) as Record<string, JsonSchema>) };
    for (const [name, s] of Object.entries((a.properties ?? {}) as Record<string, JsonSchema>)) {
      props[name] = isObject(props[name]) && isObject(s) ? mergeUnion(s, props[name]) : s;
    }
    out.properties = props;
  }
  if (isObject(a.items) && isObject(b.items)) {
    out.items = mergeUnion(a.items as JsonSchema, b.items as JsonSchema);
  }
  // A key only some elements have cannot be required, and a closed object must admit every element's keys.
  if (Array.isArray(a.required) && Array.isArray(b.required)) {
    const both = (a.required as string[]).filter((k) => (b.required as string[]).includes(k));
    if (both.length > 0) out.required = both;
    else delete out.required;
  } else delete out.required;
  return out;
}

function isObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
