// Proof that a schema we write is a schema Helm can use: each annotation's keyword value is checked against
// the draft's metaschema and Helm's regular-expression dialect where it is written (so the error names the
// annotation's file:line:column), and the finished document against the metaschema, with every local `$ref`
// resolving and no `$ref` cycle. Helm fails every install of a chart whose schema does not compile.
import { ExitCode, FastcsError, inputError, type SourcePosition } from "../runtime/errors.ts";
import { DATA_KEYWORDS, decodePointerSegment, type Draft, type JsonSchema } from "./drafts.ts";

type MetaValidator = { validateSchema(schema: unknown): boolean; errorsText(): string };

/** A generated metaschema validator (src/schema/metaschemas/): Ajv's standalone code, Ajv's error objects. */
type StandaloneValidator = {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string }[] | null;
};

// The metaschema validators loaded by loadSchemaChecks(): a run whose schemas are inferred only loads none.
const validators = new Map<Draft, MetaValidator>();

// One literal import per draft, so that `deno compile` sees (and embeds) each module.
const MODULES: Record<Draft, () => Promise<unknown>> = {
  "7": () => import("./metaschemas/draft_07.js"),
  "2019-09": () => import("./metaschemas/draft_2019_09.js"),
  "2020-12": () => import("./metaschemas/draft_2020_12.js"),
};

/**
 * Loads the metaschema validators that {@link checkAnnotationValue} and {@link checkSchemaDocument} use:
 * those of `drafts` (default: all three), precompiled from Ajv's metaschemas (scripts/metaschema_validators.ts),
 * so neither Ajv nor a metaschema compile is needed. Call it before generating from values files with
 * annotations, or before checking a bundled schema.
 */
export async function loadSchemaChecks(drafts: Draft[] = ["7", "2019-09", "2020-12"]): Promise<void> {
  for (const draft of drafts) {
    if (validators.has(draft)) continue;
    const { validate } = await MODULES[draft]() as { validate: StandaloneValidator };
    validators.set(draft, {
      validateSchema: (schema) => validate(schema) === true,
      // Ajv's errorsText() with its defaults, so messages read as they did when Ajv checked in process.
      errorsText: () =>
        validate.errors?.length
          ? validate.errors.map((e) => `data${e.instancePath} ${e.message}`).join(", ")
          : "No errors",
    });
  }
}

function metaValidator(draft: Draft): MetaValidator {
  const v = validators.get(draft);
  if (!v) {
    throw new Error(`internal: loadSchemaChecks() must run before schemas of draft ${draft} are checked`);
  }
  return v;
}

/** Where a keyword's value sits in the schema: item shortcuts write into `items`. */
const ITEM_KEYWORDS: Record<string, string> = {
  item: "type",
  itemProperties: "properties",
  itemEnum: "enum",
  itemRef: "$ref",
  itemRequired: "required",
};

/**
 * Why a regular expression cannot be used by Helm's validators (Go's RE2 syntax: no look-around, no
 * back-references; https://github.com/google/re2/wiki/Syntax), or undefined when it can. JSON Schema's
 * dialect is ECMA-262 (2020-12 section 6.4), so it must also compile as a JavaScript `u` regex.
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, "u");
  } catch (error) {
    return (error as Error).message;
  }
  if (/\(\?<?[=!]/.test(pattern)) {
    return "look-ahead and look-behind are not supported by Helm's validator (RE2)";
  }
  if (/(^|[^\\])(\\\\)*\\([1-9]|k<)/.test(pattern)) {
    return "back-references are not supported by Helm's validator (RE2)";
  }
  return undefined;
}

/**
 * Why a `$ref` or `$id` is no URI reference Helm's validators can parse (RFC 3986; Go's url.Parse refuses
 * a colon before any slash without a scheme: `::::` is "missing protocol scheme"), or undefined.
 */
export function uriProblem(value: string): string | undefined {
  if (value === "" || /[\s{}<>"|\\^`]/.test(value)) return "is not a URI reference";
  const colon = value.indexOf(":");
  const slash = value.search(/[/?#]/);
  if (colon >= 0 && (slash < 0 || colon < slash) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)) {
    return "is not a URI reference (a colon before any slash needs a scheme, as in https:)";
  }
  return undefined;
}

function patternsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) { for (const v of value) patternsIn(v, found); }
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "pattern" && typeof v === "string") found.push(v);
      else if (k === "patternProperties" && v !== null && typeof v === "object") {
        found.push(...Object.keys(v));
        patternsIn(v, found);
      } else if (!DATA_KEYWORDS.has(k)) patternsIn(v, found);
    }
  }
  return found;
}

/**
 * Checks one annotation entry's value as the schema will hold it.
 *
 * @param keyword the annotation keyword (item shortcuts such as `itemEnum` are checked as `items` keywords)
 * @throws FastcsError (exit code 5) at `position` when the value is not valid for the keyword in `draft`
 *   or holds a regular expression Helm cannot compile.
 */
export function checkAnnotationValue(
  draft: Draft,
  keyword: string,
  value: unknown,
  position: SourcePosition,
) {
  const inItems = ITEM_KEYWORDS[keyword];
  const fragment = inItems ? { items: { [inItems]: value } } : { [keyword]: value };
  const meta = metaValidator(draft);
  if (meta.validateSchema(fragment) !== true) {
    throw inputError(
      position,
      `${keyword}: not a valid value in JSON Schema ${draft}: ${meta.errorsText()}`,
      {
        code: "schema.annotation",
        hint: "Helm cannot use a schema with this value; see the keyword in the JSON Schema specification.",
      },
    );
  }
  if (keyword === "$id" && typeof value === "string" && uriProblem(value)) {
    throw inputError(position, `$id: ${JSON.stringify(value)} ${uriProblem(value)}`, {
      code: "schema.annotation",
      hint: "An $id is a URL, e.g. https://example.org/schemas/app.json.",
    });
  }
  for (const pattern of patternsIn(fragment)) {
    const problem = regexProblem(pattern);
    if (problem) {
      throw inputError(position, `${keyword}: regular expression ${JSON.stringify(pattern)}: ${problem}`, {
        code: "schema.regex",
        hint: "Write the pattern in the syntax both JSON Schema (ECMA-262) and Go's RE2 accept.",
      });
    }
  }
}

function decodePointer(fragment: string): string[] {
  if (fragment === "" || fragment === "/") return fragment === "" ? [] : [""];
  return fragment.slice(1).split("/").map(decodePointerSegment);
}

function resolvePointer(root: unknown, segments: string[]): unknown {
  let current = root;
  for (const s of segments) {
    if (current === null || typeof current !== "object" || !(s in (current as object))) return undefined;
    current = (current as Record<string, unknown>)[s];
  }
  return current;
}

function collectAnchors(value: unknown, anchors: Map<string, unknown>) {
  if (Array.isArray(value)) { for (const v of value) collectAnchors(v, anchors); }
  else if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.$anchor === "string") anchors.set(o.$anchor, o);
    for (const [k, v] of Object.entries(o)) {
      if (!DATA_KEYWORDS.has(k)) collectAnchors(v, anchors);
    }
  }
}

/** Every `$ref` of a schema with the schema resource it belongs to: the root, or the nearest enclosing
 * subschema with its own `$id` (an embedded document), against which `#...` references resolve. */
function refsIn(
  value: unknown,
  resource: unknown,
  found: { ref: string; resource: unknown }[] = [],
  top = true,
) {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, resource, found, false));
  else if (value !== null && typeof value === "object") {
    const own = !top && typeof (value as JsonSchema).$id === "string" ? value : resource;
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") found.push({ ref: v, resource: own });
      else if (!DATA_KEYWORDS.has(k)) {
        refsIn(v, own, found, false);
      }
    }
  }
  return found;
}

/**
 * Checks a finished schema document: valid against its draft's metaschema, every local `$ref` (`#/...`,
 * `#anchor`) resolving inside it, and no chain of `$ref`s that leads back to itself (a validator following
 * it never ends).
 *
 * @param where names the schema in messages (the file it is written to, and the chart)
 * @param refPositions where each `$ref` value was written (annotations), to name file:line:column
 * @throws FastcsError (exit code 5) for the first problem found.
 */
export function checkSchemaDocument(
  schema: JsonSchema,
  draft: Draft,
  where: string,
  refPositions: Map<string, SourcePosition> = new Map(),
) {
  const meta = metaValidator(draft);
  if (meta.validateSchema(schema) !== true) {
    throw new FastcsError(
      `${where}: the generated schema is not valid JSON Schema ${draft}: ${meta.errorsText()}`,
      {
        code: "schema.invalid",
        exitCode: ExitCode.input,
        hint: "Check the annotations that write the keyword named above.",
      },
    );
  }
  checkLocalRefs(schema, where, refPositions);
}

/**
 * Checks that every local `$ref` (`#/...`, `#anchor`) of a schema resolves inside it and that no chain of
 * `$ref`s leads back to itself (a validator following it never ends: a stack overflow in Helm, and here).
 *
 * @throws FastcsError (exit code 5) for the first problem found
 */
export function checkLocalRefs(
  schema: JsonSchema,
  where: string,
  refPositions: Map<string, SourcePosition> = new Map(),
) {
  const anchors = new Map<string, unknown>();
  collectAnchors(schema, anchors);
  const target = (ref: string, resource: unknown): unknown => {
    const fragment = ref.slice(1);
    if (fragment === "" || fragment.startsWith("/")) return resolvePointer(resource, decodePointer(fragment));
    return anchors.get(fragment);
  };
  const fail = (ref: string, message: string): never => {
    const position = refPositions.get(ref);
    const text = `$ref ${JSON.stringify(ref)} ${message}`;
    const hint =
      "Point the $ref at a part of the schema that exists (e.g. #/properties/<key>), without a loop.";
    if (position) throw inputError(position, text, { code: "schema.ref", hint });
    throw new FastcsError(`${where}: ${text}`, { code: "schema.ref", exitCode: ExitCode.input, hint });
  };
  for (const { ref, resource } of refsIn(schema, schema)) {
    if (!ref.startsWith("#")) continue;
    let current: unknown = target(ref, resource);
    if (current === undefined) fail(ref, "points at nothing in the schema");
    const seen = new Set([ref]);
    // A schema that is a $ref to a schema that is a $ref ... back to the first never consumes any value.
    while (
      current !== null && typeof current === "object" && typeof (current as JsonSchema).$ref === "string"
    ) {
      const next = (current as JsonSchema).$ref as string;
      if (!next.startsWith("#")) break;
      if (seen.has(next)) fail(ref, "is part of a cycle of $refs that never ends");
      seen.add(next);
      current = target(next, resource);
    }
  }
}

/**
 * A document that stands in for one a schema refers to but does not embed (a remote `$k8s/` or `https://`
 * document when not bundling), so the schema can be compiled offline: every place the schema's `$ref`s
 * point at inside `url` (`url#/definitions/X`) is an empty schema there, which accepts anything.
 *
 * @param url the document's absolute URL without fragment, as the validator asks for it
 * @param baseUrl what relative `$ref`s resolve against
 * @returns `{}` with a `{}` at every JSON pointer the schema uses into `url`
 */
export function standInDocument(schema: JsonSchema, url: string, baseUrl: string): JsonSchema {
  const document: JsonSchema = {};
  for (const { ref } of refsIn(schema, schema)) {
    const hash = ref.indexOf("#");
    if (hash < 0) continue;
    let target: string;
    try {
      target = new URL(ref.slice(0, hash), baseUrl).href;
    } catch {
      continue;
    }
    const fragment = ref.slice(hash + 1);
    if (target !== url || !fragment.startsWith("/")) continue;
    let at = document;
    for (const segment of decodePointer(fragment)) {
      at[segment] ??= {};
      at = at[segment] as JsonSchema;
    }
  }
  return document;
}
