// The `# @schema` annotation language: a superset of helm-values-schema-json's
// (https://github.com/losisin/helm-values-schema-json/blob/main/docs/README.md). An annotation is a
// comment `# @schema key: value; key2: value2` on a key's line, the line above or the line below.
import { parseDocument } from "../deps/yaml.ts";
import { inputError, type SourcePosition } from "../runtime/errors.ts";

/** How a keyword's text value is read. */
type ValueKind =
  | "string" // the text as is
  | "boolean" // true | false; empty means true
  | "count" // non-negative integer
  | "number"
  | "positive" // number > 0
  | "types" // JSON Schema type names: `[a, b]` or `a, b` or `a`
  | "list" // `[a, 1, null]` (YAML flow sequence) or `a, b`
  | "json" // any YAML/JSON value
  | "schema" // a JSON Schema: object or boolean; empty means true
  | "schemas" // a non-empty array of JSON Schemas
  | "strings"; // a list of strings

/**
 * Every keyword an annotation may hold and how its value is read. Keywords marked tool-only steer the
 * generator and never appear in the output.
 */
export const KEYWORDS: Record<string, ValueKind> = {
  // JSON Schema 2020-12 validation and annotation keywords
  type: "types",
  enum: "list",
  const: "json",
  pattern: "string",
  format: "string",
  minLength: "count",
  maxLength: "count",
  minimum: "number",
  maximum: "number",
  exclusiveMinimum: "number",
  exclusiveMaximum: "number",
  multipleOf: "positive",
  minItems: "count",
  maxItems: "count",
  uniqueItems: "boolean",
  contains: "schema",
  minContains: "count",
  maxContains: "count",
  prefixItems: "schemas",
  unevaluatedItems: "schema",
  minProperties: "count",
  maxProperties: "count",
  patternProperties: "json",
  additionalProperties: "schema",
  unevaluatedProperties: "schema",
  propertyNames: "schema",
  dependentRequired: "json",
  dependentSchemas: "json",
  title: "string",
  description: "string",
  examples: "list",
  default: "json",
  readOnly: "boolean",
  writeOnly: "boolean",
  deprecated: "boolean",
  $id: "string",
  $ref: "string",
  $comment: "string",
  allOf: "schemas",
  anyOf: "schemas",
  oneOf: "schemas",
  not: "schema",
  if: "schema",
  then: "schema",
  else: "schema",
  contentEncoding: "string",
  contentMediaType: "string",
  // helm-values-schema-json shortcuts and tool-only keywords
  required: "boolean",
  item: "types",
  itemProperties: "json",
  itemEnum: "list",
  itemRef: "string",
  itemRequired: "strings",
  nullable: "boolean",
  hidden: "boolean",
  skipProperties: "boolean",
  mergeProperties: "boolean",
};

/** JSON Schema's primitive type names (JSON Schema 2020-12 validation, section 6.1.1). */
export const TYPE_NAMES = ["string", "number", "integer", "boolean", "object", "array", "null"];

/** One parsed `key: value` of an annotation, with where it was written. */
export interface AnnotationEntry {
  keyword: string;
  value: unknown;
  position: SourcePosition;
}

/** Returns the annotation text after `@schema`, or undefined when the comment is not an annotation. */
export function annotationText(commentText: string): string | undefined {
  const m = /^#*\s*@schema(\s+|$)(.*)$/.exec(commentText.trim());
  return m ? m[2] : undefined;
}

/**
 * Parses the text after `@schema` into entries. `;` separates entries except inside brackets, braces or
 * quotes, so JSON values and patterns may contain it.
 *
 * @param text the annotation text (after `@schema`)
 * @param at the position of the first character of `text`
 * @throws FastcsError (exit code 5) at the entry's `file:line:column` for an unknown keyword or a value
 *   that does not fit the keyword.
 */
export function parseAnnotation(text: string, at: SourcePosition): AnnotationEntry[] {
  const entries: AnnotationEntry[] = [];
  for (const part of splitTopLevel(text)) {
    const raw = part.text;
    if (raw.trim() === "") continue;
    const lead = raw.length - raw.trimStart().length;
    const position = { ...at, column: at.column + part.start + lead };
    const colon = raw.indexOf(":");
    const keyword = (colon < 0 ? raw : raw.slice(0, colon)).trim();
    const valueText = colon < 0 ? "" : raw.slice(colon + 1).trim();
    const kind = KEYWORDS[keyword];
    if (!kind) {
      throw inputError(position, `unknown @schema keyword "${keyword}"`, {
        code: "schema.annotation",
        hint: suggest(keyword),
      });
    }
    entries.push({ keyword, value: readValue(keyword, kind, valueText, position), position });
  }
  return entries;
}

function suggest(keyword: string): string {
  const lower = keyword.toLowerCase();
  const close = Object.keys(KEYWORDS).find((k) => k.toLowerCase() === lower) ??
    Object.keys(KEYWORDS).find((k) => distance(k.toLowerCase(), lower) <= 2);
  return close
    ? `Did you mean "${close}"? Keywords are case-sensitive.`
    : 'See the README section "Annotations" for the keywords an annotation accepts.';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = saved;
    }
  }
  return row[b.length];
}

function splitTopLevel(text: string): { text: string; start: number }[] {
  const parts: { text: string; start: number }[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      // A quote only opens a string at the start of a value, so that `pattern: ^it's$` still splits.
      const before = text.slice(start, i).trimEnd();
      if (before.endsWith(":") || before.endsWith("[") || before.endsWith(",") || before.endsWith("{")) {
        quote = c;
      }
    } else if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && depth > 0) depth--;
    else if (c === ";" && depth === 0) {
      parts.push({ text: text.slice(start, i), start });
      start = i + 1;
    }
  }
  parts.push({ text: text.slice(start), start });
  return parts;
}

// Values read by parseYamlValue, by text: charts repeat a few annotations hundreds of times (loki's 1,068
// annotations have 21 distinct texts), and each YAML parse costs more than copying its result.
const parsedValues = new Map<string, unknown>();

function parseYamlValue(text: string, keyword: string, position: SourcePosition): unknown {
  if (parsedValues.has(text)) return structuredClone(parsedValues.get(text));
  const value = readYamlValue(text, keyword, position);
  if (parsedValues.size >= 10_000) parsedValues.clear();
  parsedValues.set(text, value);
  return structuredClone(value);
}

function readYamlValue(text: string, keyword: string, position: SourcePosition): unknown {
  // Flow YAML is a superset of JSON, so both `{"a": 1}` and `{a: 1}` work.
  const doc = parseDocument(text, { version: "1.2" });
  if (doc.errors.length > 0) {
    throw inputError(
      position,
      `@schema ${keyword}: cannot read value ${JSON.stringify(text)} (${
        doc.errors[0].message.split("\n")[0]
      })`,
      {
        code: "schema.annotation",
        hint: 'Write the value as JSON or YAML flow syntax, e.g. {"type": "string"} or [a, b].',
      },
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch {
    // An annotation is one comment: an alias there names an anchor of another document.
    throw inputError(
      position,
      `@schema ${keyword}: YAML anchors and aliases (*name) cannot be used in an annotation`,
      {
        code: "schema.annotation",
        hint: "Write the value itself, as JSON or YAML flow syntax.",
      },
    );
  }
}

function readList(text: string, keyword: string, position: SourcePosition, stringsOnly: boolean): unknown[] {
  if (text.startsWith("[")) {
    const value = parseYamlValue(text, keyword, position);
    if (!Array.isArray(value)) throw bad(keyword, text, position, "a list like [a, b]");
    return stringsOnly ? value.map((v) => (v === null ? "null" : String(v))) : value;
  }
  if (text === "") throw bad(keyword, text, position, "a list like [a, b]");
  return splitCommas(text).map((item) => {
    const t = item.trim();
    if (!stringsOnly && t === "null") return null;
    if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
      try {
        return JSON.parse(t);
      } catch { /* not a JSON string: keep the text */ }
    }
    return t.replace(/^"|"$/g, "");
  });
}

/** `'a''b'` and `"a\\"b"` lose their quotes as in YAML; other text stays as written. */
function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) {
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      return JSON.parse(text);
    } catch { /* not a JSON string: keep as written */ }
  }
  return text;
}

/** Splits `a, "b,c", d` on commas outside double quotes. */
function splitCommas(text: string): string[] {
  const items: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) {
      current += c + (text[++i] ?? "");
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      items.push(current);
      current = "";
    } else current += c;
  }
  items.push(current);
  return items;
}

function bad(keyword: string, text: string, position: SourcePosition, expected: string) {
  return inputError(position, `@schema ${keyword}: ${JSON.stringify(text)} is not ${expected}`, {
    code: "schema.annotation",
    hint: `Give ${keyword} ${expected}.`,
  });
}

function readValue(keyword: string, kind: ValueKind, text: string, position: SourcePosition): unknown {
  switch (kind) {
    case "string": {
      const value = unquote(text);
      if (value === "") throw bad(keyword, text, position, "a non-empty string");
      return value;
    }
    case "boolean":
      if (text === "" || text === "true") return true;
      if (text === "false") return false;
      throw bad(keyword, text, position, "true or false");
    case "count": {
      if (!/^\d+$/.test(text)) throw bad(keyword, text, position, "a non-negative integer");
      return Number(text);
    }
    case "number":
    case "positive": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) throw bad(keyword, text, position, "a number");
      if (kind === "positive" && n <= 0) throw bad(keyword, text, position, "a number greater than 0");
      return n;
    }
    case "types": {
      const types = readList(text, keyword, position, true) as string[];
      for (const t of types) {
        if (!TYPE_NAMES.includes(t)) {
          throw bad(keyword, text, position, `a list of JSON Schema types (${TYPE_NAMES.join(", ")})`);
        }
      }
      return types.length === 1 ? types[0] : types;
    }
    case "list":
      return readList(text, keyword, position, false);
    case "strings":
      return readList(text, keyword, position, true);
    case "json":
      if (text === "") throw bad(keyword, text, position, "a JSON or YAML value");
      return parseYamlValue(text, keyword, position);
    case "schema": {
      if (text === "") return true;
      const value = parseYamlValue(text, keyword, position);
      if (
        typeof value !== "boolean" && (value === null || typeof value !== "object" || Array.isArray(value))
      ) {
        throw bad(keyword, text, position, "a JSON Schema (an object or true/false)");
      }
      return value;
    }
    case "schemas": {
      const value = parseYamlValue(text, keyword, position);
      if (!Array.isArray(value) || value.length === 0) {
        throw bad(keyword, text, position, "a non-empty list of JSON Schemas");
      }
      return value;
    }
  }
}
