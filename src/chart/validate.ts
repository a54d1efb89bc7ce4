// Validation of values against a JSON Schema, with every error located at file:line:column of the
// values file. Ajv does the validating (drafts 7, 2019-09 and 2020-12, chosen from `$schema`, 2020-12
// when absent: the same rule Helm 3.18.5+ and Helm 4 follow).
import { isMap, isPair, isScalar, isSeq } from "../deps/yaml.ts";
import type { ErrorObject, ValidateFunction } from "../deps/ajv.ts";
import { dereference, interpret, type InterpretedSchema } from "../deps/cfworker_json_schema.ts";
import type { Pair, YamlNode } from "../deps/yaml.ts";
import { ExitCode, FastcsError, formatPosition, type SourcePosition } from "../runtime/errors.ts";
import { coalesceLayers } from "./coalesce.ts";
import { keyText, nodeStart, resolveNode, tooDeep, type YamlSource } from "./yaml_source.ts";

/** A JSON Schema document or subschema, as plain JSON. */
export type JsonSchema = { [keyword: string]: unknown };

/**
 * A parsed document as a schema: an object as it is, `true`/`false` as `{}`/`{not: {}}` (JSON Schema 2020-12
 * section 4.3.1 allows boolean schemas); undefined for anything else (a number, a string, a list, null).
 */
export function asSchemaDocument(value: unknown): JsonSchema | undefined {
  if (typeof value === "boolean") return (value ? {} : { not: {} }) as JsonSchema;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return value as JsonSchema;
}

/** One validation problem, located in the values file. */
export interface ValuesProblem {
  position: SourcePosition;
  /** Dotted path of the offending value (`image.tag`, `ports[0].name`); empty for the root. */
  path: string;
  message: string;
}

/** Loads a `$ref` target that is not inside the schema: an absolute http(s) or file URL. */
export type RefLoader = (url: string) => Promise<JsonSchema>;

/**
 * Compiles a schema. Remote `$ref`s are loaded with `loadRef`; relative ones are resolved against
 * `baseUrl` (a `file://` URL of the schema's folder, with a trailing slash). `metaschemaChecked`: the
 * caller has already checked `schema` against its draft's metaschema (a schema we generated), so the
 * compile does not check it again.
 *
 * @throws FastcsError (exit code 5) when the schema itself is invalid or a `$ref` cannot be resolved.
 */
export async function compileSchema(
  schema: JsonSchema,
  where: string,
  baseUrl: string,
  loadRef?: RefLoader,
  metaschemaChecked = false,
): Promise<ValidateFunction> {
  const uri = typeof schema.$schema === "string" ? schema.$schema : "";
  if (/draft-0[46]\//.test(uri)) {
    throw new FastcsError(`${where}: JSON Schema ${uri} is not supported for validation`, {
      code: "schema.draft",
      exitCode: ExitCode.input,
      hint: "Regenerate the schema as draft 7, 2019-09 or 2020-12.",
    });
  }
  const options = {
    allErrors: true,
    strict: false,
    validateFormats: true,
    validateSchema: !metaschemaChecked,
    // The validator runs once or a few times per process: the optimising passes over the generated code
    // cost more than they save (half the compile of a large chart's schema).
    code: { optimize: false },
    loadSchema: async (ref: string) => {
      const url = new URL(ref, baseUrl).href;
      if (!loadRef) throw new Error(`no loader for ${url}`);
      return await loadRef(url);
    },
  };
  // Ajv (CommonJS, a hundred modules) is loaded by the first compile, not by every command that imports this.
  const { addFormats, Ajv2019, Ajv2020, AjvDraft7 } = await import("../deps/ajv.ts");
  const ajv = uri.includes("draft-07")
    ? new AjvDraft7(options)
    : uri.includes("2019-09")
    ? new Ajv2019(options)
    : new Ajv2020(options);
  addFormats(ajv);
  try {
    return await ajv.compileAsync(schema);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FastcsError(`${where}: the schema cannot be used: ${message}`, {
      code: "schema.invalid",
      exitCode: ExitCode.input,
      hint: "Check its $ref targets (bundle remote ones with --bundle for offline use) and keywords.",
      cause: error,
    });
  }
}

/** Validates a parsed values file; returns every problem (empty when valid). */
export function validateSource(source: YamlSource, validate: ValidateFunction): ValuesProblem[] {
  return validateLayers([source], validate);
}

/**
 * Validates values files coalesced as Helm coalesces them (see {@link coalesceLayers}); each problem is
 * located in the file that gave the offending value (the latest layer that holds it).
 *
 * @param layers parsed values files, lowest precedence first (at least one)
 * @returns every problem, sorted by file order, then line and column (empty when valid)
 */
export function validateLayers(layers: YamlSource[], validate: ValidateFunction): ValuesProblem[] {
  let data: unknown;
  try {
    data = coalesceLayers(layers);
  } catch (error) {
    throw tooDeep(layers.map((l) => l.file).join(", "), error);
  }
  const origins = layers.map((source) => ({ source, prefix: [] }));
  return validateData(data, validate, () => origins, layers.map((l) => l.file).join(", "));
}

/**
 * True when `schema` accepts the values files coalesced as Helm coalesces them, judged without compiling
 * anything: an interpreting validator (@cfworker/json-schema) walks the schema and the values once, where Ajv
 * first generates code for the whole schema (most of the time of checking a large annotated chart's own
 * values). False when it rejects them, and whenever the two validators could judge differently: drafts
 * before 2019-09 (`$ref` beside other keywords), `$dynamicRef`, `format` (other regular expressions than
 * ajv-formats'), a `multipleOf` that is not an integer (Ajv's floating-point remainder, the interpreter's
 * decimal one), values that are not plain JSON (a guard: values files parse to JSON data). Then
 * {@link compileSchema} and {@link validateLayers} judge, and report the problems.
 *
 * @param refDocument the document standing at an absolute URL (without fragment) that `schema` refers to and
 *   does not embed (default: an empty schema); relative `$ref`s resolve against `file:///`, as in
 *   {@link compileSchema} calls with that base URL
 * @returns never throws: anything the interpreter cannot judge is false
 */
export function acceptsLayers(
  schema: JsonSchema,
  layers: YamlSource[],
  refDocument: (url: string) => JsonSchema = () => ({}),
): boolean {
  const uri = typeof schema.$schema === "string" ? schema.$schema : "";
  if (/draft-0\d\//.test(uri) || !interpretable(schema)) return false;
  try {
    const data = coalesceLayers(layers);
    if (!plainJson(data)) return false;
    // The interpreter writes resolved URIs into the schema objects it is given: a copy, never the schema
    // that is written out.
    const copy = structuredClone(schema) as InterpretedSchema;
    const base = new URL("file:///");
    const lookup = dereference(copy, Object.create(null), base);
    const external = new Set<string>();
    // dereference() gave each `$ref` its absolute URL (a property of its own, not enumerable).
    const collect = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === "object") {
        const absolute = (value as InterpretedSchema).__absolute_ref__;
        if (typeof absolute === "string") external.add(absolute.split("#")[0]);
        Object.values(value).forEach(collect);
      }
    };
    collect(copy);
    for (const url of external) {
      if (url in lookup) continue;
      dereference({ ...refDocument(url), $id: url } as InterpretedSchema, lookup, base);
    }
    const draft = uri.includes("2019-09") ? "2019-09" : "2020-12";
    return interpret(data, copy, draft, lookup, true).valid;
  } catch {
    return false; // an unresolved $ref, nesting too deep for the stack: left to Ajv's verdict and message
  }
}

// Keywords whose values are data, not subschemas.
const VALUE_KEYWORDS = new Set(["enum", "const", "default", "examples"]);

function interpretable(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(interpretable);
  if (value === null || typeof value !== "object") return true;
  for (const [k, v] of Object.entries(value)) {
    if (VALUE_KEYWORDS.has(k)) continue;
    if (k === "$dynamicRef" || (k === "format" && typeof v === "string")) return false;
    if (k === "multipleOf" && typeof v === "number" && !Number.isInteger(v)) return false;
    if (!interpretable(v)) return false;
  }
  return true;
}

function plainJson(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "string" || typeof value === "boolean" || value === null;
  }
  if (Array.isArray(value)) return value.every(plainJson);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every(plainJson);
}

/** Where values may have been written: a parsed file, and the key path under which it holds them. */
export interface ValuesOrigin {
  source: YamlSource;
  /** The path in `source` of the validated values' root (e.g. `[mysql]` for a sub-chart's values). */
  prefix: string[];
}

/**
 * Validates `data` and locates each problem in the origin that gave the value: among the origins `originsFor`
 * names for the error's path (lowest precedence first), the latest that reaches deepest along it.
 *
 * @param where names the values in an error about nesting too deep
 * @returns every problem, sorted by file, then line and column (empty when valid)
 */
export function validateData(
  data: unknown,
  validate: ValidateFunction,
  originsFor: (segments: string[]) => ValuesOrigin[],
  where: string,
): ValuesProblem[] {
  let valid: boolean;
  try {
    valid = validate(data) as boolean;
  } catch (error) {
    throw tooDeep(where, error);
  }
  if (valid) return [];
  const problems: ValuesProblem[] = [];
  const seen = new Set<string>();
  const files: string[] = [];
  for (const error of validate.errors ?? []) {
    const segments = pointerSegments(error.instancePath);
    const origin = originFor(originsFor(segments), segments, error);
    if (!files.includes(origin.source.file)) files.push(origin.source.file);
    const problem = locate(origin, error);
    const key = `${formatPosition(problem.position)} ${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  const order = (p: ValuesProblem) => files.indexOf(p.position.file);
  return problems.sort((a, b) =>
    order(a) - order(b) || a.position.line - b.position.line || a.position.column - b.position.column
  );
}

// The origin whose value Helm validated at the error's path: the latest reaching deepest along it.
function originFor(origins: ValuesOrigin[], segments: string[], error: ErrorObject): ValuesOrigin {
  const params = error.params as Record<string, unknown>;
  const extra = params.additionalProperty ?? params.unevaluatedProperty;
  // The unknown key itself, wherever it was written.
  const path = extra !== undefined ? [...segments, String(extra)] : segments;
  let best = origins[origins.length - 1];
  let bestDepth = -1;
  for (const origin of origins) {
    const { depth } = walkTo(origin.source, [...origin.prefix, ...path]);
    if (depth - origin.prefix.length >= bestDepth) {
      best = origin;
      bestDepth = depth - origin.prefix.length;
    }
  }
  return best;
}

/** Formats problems one per line: `file:line:column: path: message`. */
export function formatProblems(problems: ValuesProblem[]): string[] {
  return problems.map((p) => `${formatPosition(p.position)}: ${p.path ? p.path + ": " : ""}${p.message}`);
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function dotted(segments: string[]): string {
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : (i === 0 ? s : `.${s}`))).join("");
}

interface Found {
  node: YamlNode | null | undefined;
  keyNode?: YamlNode | null;
}

function findPair(source: YamlSource, map: YamlNode, key: string): Pair | undefined {
  let found: Pair | undefined;
  for (const item of (map as unknown as { items: Pair[] }).items) {
    if (!isPair(item)) continue;
    const k = item.key as YamlNode | null;
    const name = keyText(source, k);
    if (name === key) found = item; // the last repetition wins, as in the parsed data
    else if (isScalar(k) && typeof k.value === "symbol" && !found) {
      // a merge key: the value may come from the aliased mapping
      const targets = isSeq(item.value) ? (item.value.items as YamlNode[]) : [item.value as YamlNode];
      for (const t of targets) {
        const m = resolveNode(source, t);
        if (isMap(m)) found = findPair(source, m, key) ?? found;
      }
    }
  }
  return found;
}

function walkTo(source: YamlSource, segments: string[]): { found: Found; depth: number } {
  let current: Found = { node: source.doc.contents as YamlNode | null };
  let depth = 0;
  for (const segment of segments) {
    const node = resolveNode(source, current.node);
    if (isMap(node)) {
      const pair = findPair(source, node, segment);
      if (!pair) break;
      current = { node: pair.value as YamlNode | null, keyNode: pair.key as YamlNode | null };
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as YamlNode | undefined;
      if (item === undefined) break;
      current = { node: item };
    } else break;
    depth++;
  }
  return { found: current, depth };
}

function locate({ source, prefix }: ValuesOrigin, error: ErrorObject): ValuesProblem {
  const segments = [...prefix, ...pointerSegments(error.instancePath)];
  const { found } = walkTo(source, segments);
  const path = dotted(segments);
  const params = error.params as Record<string, unknown>;
  let node: YamlNode | null | undefined = found.node ?? found.keyNode;
  let message = error.message ?? "is invalid";
  switch (error.keyword) {
    case "additionalProperties":
    case "unevaluatedProperties": {
      const extra = String(params.additionalProperty ?? params.unevaluatedProperty);
      const target = resolveNode(source, found.node);
      const pair = isMap(target) ? findPair(source, target, extra) : undefined;
      if (pair) node = pair.key as YamlNode;
      message = `unknown key "${extra}" (the schema does not allow it here; check its spelling)`;
      break;
    }
    case "required":
      message = `missing required key "${params.missingProperty}"`;
      node = found.keyNode ?? found.node;
      break;
    case "enum":
      message = `must be one of: ${
        (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")
      }`;
      break;
    case "const":
      message = `must be ${JSON.stringify(params.allowedValue)}`;
      break;
    case "type":
      message = `must be of type ${Array.isArray(params.type) ? params.type.join(" or ") : params.type}`;
      break;
  }
  if (error.schemaPath) message += ` [schema ${error.schemaPath}]`;
  const offset = node === null || node === undefined ? nodeStart(found.keyNode) : nodeStart(node);
  return { position: source.position(offset), path, message };
}
