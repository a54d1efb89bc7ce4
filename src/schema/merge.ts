// Merging generated schemas: several values files (the later wins, as `helm -f a -f b`), and the
// elements of a list (every element must validate).
import type { JsonSchema } from "./drafts.ts";

/** Union of JSON Schema types; `integer` folds into `number`. Returns one name or a list. */
export function unionTypes(...types: unknown[]): string | string[] | undefined {
  const all: string[] = [];
  for (const t of types) for (const name of typeList(t)) if (!all.includes(name)) all.push(name);
  const names = all.includes("number") ? all.filter((t) => t !== "integer") : all;
  if (names.length === 0) return undefined;
  return names.length === 1 ? names[0] : names;
}

/** The JSON Schema type of a JSON value: `integer` for whole numbers (JSON Schema 2020-12 section 4.2.1). */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value === "object" ? "object" : typeof value;
}

/** The type names of a `type` keyword value (absent: none). */
export function typeList(type: unknown): string[] {
  if (type === undefined) return [];
  return Array.isArray(type) ? type.map(String) : [String(type)];
}

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
