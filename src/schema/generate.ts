// Generation of a values schema from values files and their comments. The rules, in short (the README
// has them in full): the type of every key is inferred from its value; `# @schema` annotations on the
// key's line, the line above or the line below add or override keywords; ordinary and helm-docs
// (`# --`) comments above a key become its description; several values files merge, the later winning.
import { isAlias, isMap, isScalar, isSeq } from "../deps/yaml.ts";
import type { Pair, YamlNode } from "../deps/yaml.ts";
import { inputError, type SourcePosition } from "../runtime/errors.ts";
import type { AnnotationEntry } from "./annotations.ts";
import {
  type AnnotationOptions,
  applyAnnotations,
  COMPOSITION,
  includesType,
  toolFlags,
} from "./annotate.ts";
import { attachedComments, namedDescriptions } from "./comments.ts";
import {
  type Draft,
  DRAFT_URI,
  isModernDraft,
  type JsonSchema,
  orderSchema,
  wrapRefsForDraft7,
} from "./drafts.ts";
import { DEFAULT_K8S_SCHEMA_URL } from "./k8s_schemas.ts";
import { mergeOverride, mergeUnion } from "./merge.ts";
import { checkOwnDefault } from "./default_check.ts";
import { checkSchemaDocument } from "./schema_check.ts";
import {
  FLOAT_TAG,
  keyText,
  nodeEndLine,
  nodeStart,
  resolveNode,
  tooDeep,
  type YamlSource,
} from "../chart/yaml_source.ts";
import type { DescriptionMode } from "./comments.ts";

export type { DescriptionMode };

/** Options of {@link generateSchema}. */
export interface GenerateOptions extends AnnotationOptions {
  descriptions: DescriptionMode;
  /** Close every generated object that has properties (`additionalProperties: false`, or
   * `unevaluatedProperties: false` where a `$ref` or composition sits beside, from 2019-09 on). */
  noAdditionalProperties: boolean;
  /** Do not add a `global` property to a closed root. */
  noDefaultGlobal: boolean;
  /** Keywords set on the root schema (helm-values-schema-json's `schemaRoot`). */
  schemaRoot: {
    id?: string;
    title?: string;
    description?: string;
    ref?: string;
    additionalProperties?: boolean | null;
  };
  /** Keys of the chart's sub-charts (dependency aliases or names, and folders under `charts/`): Helm
   * coalesces each sub-chart's defaults and the parent's `global` into them before it validates the parent,
   * so their objects are never closed, and a closed root allows them. */
  subCharts?: string[];
  /** Top-level keys the parent's values receive from sub-charts through `import-values`: a closed root
   * allows them. */
  importedKeys?: string[];
}

export { DEFAULT_K8S_SCHEMA_URL };

interface Walk {
  source: YamlSource;
  options: GenerateOptions;
  /** Nodes being expanded (alias cycles stop here). */
  stack: Set<unknown>;
  /** The sub-charts' keys (their objects, like `global`'s, stay open). */
  subCharts: Set<string>;
  /** Where each `$ref` an annotation wrote was written, for errors about it. */
  refPositions: Map<string, SourcePosition>;
  /** helm-docs named descriptions (`# key.path -- text`) by dotted key path. */
  named: Map<string, string>;
}

/**
 * Generates the values schema of a chart from its values files (later files win, as `helm -f a -f b`).
 *
 * @param sources parsed values files, in merge order
 * @returns the root schema with `$schema` for the draft, keywords in a stable order
 * @throws FastcsError (exit code 5) for a bad annotation, naming `file:line:column`
 */
export function generateSchema(sources: YamlSource[], options: GenerateOptions): JsonSchema {
  try {
    return generate(sources, options);
  } catch (error) {
    throw tooDeep(sources.map((s) => s.file).join(", "), error);
  }
}

function generate(sources: YamlSource[], options: GenerateOptions): JsonSchema {
  let root: JsonSchema = { type: "object" };
  const subCharts = new Set(options.subCharts ?? []);
  const refPositions = new Map<string, SourcePosition>();
  for (const source of sources) {
    const walk: Walk = {
      source,
      options,
      stack: new Set(),
      subCharts,
      refPositions,
      named: namedDescriptions(source, options.descriptions),
    };
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
          hint:
            "Helm reads values as a mapping (key: value lines); a list or a single value cannot be values.",
        },
      );
    }
    root = mergeOverride(root, schema);
  }
  const out = finishRoot(root, options);
  if (writtenByPeople(sources, options)) {
    checkSchemaDocument(out, options.draft, sources.map((s) => s.file).join(", "), refPositions);
  }
  return out;
}

/**
 * True when people wrote part of the schema: `# @schema` annotations in a values file, or `schemaRoot`
 * keywords. Only then does {@link generateSchema} check values against the draft's metaschema, so only
 * then must `loadSchemaChecks()` (schema_check.ts) have run. A schema inferred only is valid by construction (the fuzz
 * and corpus tests compile every one they generate).
 */
export function writtenByPeople(
  sources: YamlSource[],
  options: Pick<GenerateOptions, "schemaRoot">,
): boolean {
  return Object.values(options.schemaRoot).some((v) => v !== undefined && v !== null) ||
    sources.some((s) => s.text.includes("@schema"));
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
  const props = { ...(out.properties ?? {}) } as JsonSchema;
  if (closed && !options.noDefaultGlobal && !("global" in props)) {
    props.global = { description: "Values Helm shares with every sub-chart.", type: ["object", "null"] };
  }
  // A parent chart switches a sub-chart on with `condition: <key>.enabled`, so the sub-chart's values hold
  // `enabled` (https://helm.sh/docs/topics/charts/#tags-and-condition-fields-in-dependencies).
  if (closed && !("enabled" in props)) {
    props.enabled = {
      description: "Set by a parent chart that makes this chart a dependency with condition <key>.enabled.",
      type: "boolean",
    };
  }
  for (const key of options.importedKeys ?? []) {
    if (closed && !(key in props)) props[key] = { description: "Imported from a sub-chart (import-values)." };
  }
  for (const key of options.subCharts ?? []) {
    if (closed && !(key in props)) {
      props[key] = {
        description: `Values of the ${key} sub-chart (checked by its own schema).`,
        type: "object",
      };
    }
  }
  if (closed) out.properties = props;
  const shaped = options.draft === "7" ? wrapRefsForDraft7(out) : out;
  return orderSchema(shaped) as JsonSchema;
}

function closeObject(schema: JsonSchema, draft: Draft) {
  const composed = "$ref" in schema || COMPOSITION.some((k) => k in schema);
  if (composed && isModernDraft(draft)) schema.unevaluatedProperties = false;
  else schema.additionalProperties = false;
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
    if (isMergeKey && (isAlias(pair.value) || isSeq(pair.value) || isMap(pair.value))) {
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
          hint: "Helm refuses such keys too: write the key as plain text.",
        },
      );
    }
    const name = keyText(walk.source, keyNode);
    const { line, column } = lineCol(walk, keyNode);
    const value = pair.value as YamlNode | null;
    const endLine = nodeEndLine(walk.source, value ?? keyNode, line);
    // Inside a flow mapping (`{a: 1, b: 2}`), the line's comment belongs to the key that holds the mapping.
    const inFlow = (map as { flow?: boolean }).flow === true;
    const attached = attachedComments(walk.source, walk.options.descriptions, line, column, endLine, !inFlow);
    const flags = toolFlags(attached.annotations);
    const child = valueSchema(walk, value, [...path, name], attached.annotations);
    const description = attached.description ?? walk.named.get([...path, name].join("."));
    if (description !== undefined && child.description === undefined) child.description = description;
    delete properties[name]; // a repeated key: the later one wins, and takes the later place
    // A hidden key gets no schema of its own, but Helm still validates its value: a closed object must
    // keep accepting it.
    properties[name] = flags.hidden ? {} : child;
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
      ? attachedComments(
        walk.source,
        walk.options.descriptions,
        line,
        dash,
        nodeEndLine(walk.source, item, line),
        !itemIsCollection,
      )
      : { annotations: [] };
    const schema = valueSchema(walk, item, [...path, "[]"], attached.annotations);
    items = items ? mergeUnion(items, schema) : schema;
  }
  walk.stack.delete(seq);
  return items ? { type: "array", items } : { type: "array" };
}

function scalarType(node: YamlNode): string {
  const value = (node as { value: unknown }).value;
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number" && (node as { tag?: string }).tag === FLOAT_TAG) return "number";
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
): JsonSchema {
  let schema: JsonSchema;
  let isNull = false;
  const target = resolveNode(walk.source, node);
  if (target && walk.stack.has(target)) schema = {}; // an alias inside its own anchor: anything goes
  else if (isMap(target)) {
    schema = objectSchema(walk, target as unknown as { items: Pair[] }, path, annotations);
  } else if (isSeq(target)) schema = arraySchema(walk, target as unknown as { items: unknown[] }, path);
  else if (target === null || target === undefined || scalarType(target) === "null") {
    // A key without a value is unset, not "must stay null": users set every kind of value there (on public
    // charts, null defaults typed "null" were the main reason generated schemas rejected real overrides).
    schema = {};
    isNull = true;
  } else if (isEmptyString(target) && annotations.length === 0) {
    // `""` marks an optional scalar whose type the chart leaves open (`servicePort: ""`, then `80`).
    schema = { type: [...EMPTY_STRING_TYPES] };
  } else schema = { type: scalarType(target) };
  // Below a sub-chart's key, Helm validates the parent's values after coalescing the sub-chart's defaults
  // into them (a user's null shows the sub-chart's default through), and the sub-chart's own schema checks
  // them too: the parent's schema documents them and keeps what annotations say, but infers no types.
  if (path.length > 1 && walk.subCharts.has(path[0])) delete schema.type;
  applyAnnotations(walk, schema, annotations, isNull);
  if (!(target && walk.stack.has(target))) checkOwnDefault(schema, target, annotations);
  if (
    walk.options.noAdditionalProperties && includesType(schema.type, "object") && schema.properties &&
    !("additionalProperties" in schema) && !("unevaluatedProperties" in schema) && path[0] !== "global" &&
    !walk.subCharts.has(path[0])
  ) {
    closeObject(schema, walk.options.draft);
  }
  return schema;
}

/** What an empty-string default accepts: any scalar (see the README, "Inference"). */
const EMPTY_STRING_TYPES = ["string", "number", "boolean"] as const;

function isEmptyString(node: YamlNode): boolean {
  return isScalar(node) && node.value === "";
}
