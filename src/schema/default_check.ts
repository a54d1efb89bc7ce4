// A schema must accept the values it was generated from: Helm validates the chart's own defaults on every
// install, so an annotation that contradicts its key's default (`# @schema type: string` on `enabled:
// false`, an enum without the default, a pattern the default fails) would break every install. Checked where
// the annotation is written, for the keywords that judge one value.
import { isMap, isScalar, isSeq } from "../deps/yaml.ts";
import type { YamlNode } from "../deps/yaml.ts";
import { inputError } from "../runtime/errors.ts";
import type { AnnotationEntry } from "./annotations.ts";
import type { JsonSchema } from "./drafts.ts";
import { jsonType, typeList } from "./merge.ts";

// JSON Schema equality (2020-12 validation section 4.2.2): objects equal whatever their key order.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Why `schema` rejects `value` for one of the keywords annotations set, or undefined. */
function rejection(schema: JsonSchema, value: unknown): { keyword: string; why: string } | undefined {
  const types = typeList(schema.type);
  const t = jsonType(value);
  if (types.length > 0 && !types.includes(t) && !(t === "integer" && types.includes("number"))) {
    return { keyword: "type", why: `is ${t === "integer" ? "an integer" : `a ${t}`}` };
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => same(e, value))) {
    return { keyword: "enum", why: "is not one of the enum's values" };
  }
  if ("const" in schema && !same(schema.const, value)) {
    return { keyword: "const", why: "is not the const value" };
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
      return { keyword: "pattern", why: "does not match the pattern" };
    }
    if (typeof schema.minLength === "number" && length < schema.minLength) {
      return { keyword: "minLength", why: "is shorter" };
    }
    if (typeof schema.maxLength === "number" && length > schema.maxLength) {
      return { keyword: "maxLength", why: "is longer" };
    }
  }
  if (typeof value === "number") {
    const n = (k: string) => typeof schema[k] === "number" ? schema[k] as number : undefined;
    if (n("minimum") !== undefined && value < n("minimum")!) {
      return { keyword: "minimum", why: "is below it" };
    }
    if (n("maximum") !== undefined && value > n("maximum")!) {
      return { keyword: "maximum", why: "is above it" };
    }
    if (n("exclusiveMinimum") !== undefined && value <= n("exclusiveMinimum")!) {
      return { keyword: "exclusiveMinimum", why: "is not above it" };
    }
    if (n("exclusiveMaximum") !== undefined && value >= n("exclusiveMaximum")!) {
      return { keyword: "exclusiveMaximum", why: "is not below it" };
    }
    const m = n("multipleOf");
    if (m !== undefined && Math.abs(value / m - Math.round(value / m)) > 1e-9) {
      return { keyword: "multipleOf", why: "is not a multiple of it" };
    }
  }
  return undefined;
}

/**
 * Refuses an annotation that rejects its own key's default value.
 *
 * @param schema the key's schema after its annotations were applied
 * @param node the key's default value (an alias already resolved), or null for a bare key
 * @param annotations the key's annotations (nothing is checked without any)
 * @throws FastcsError (exit code 5) at the annotation that rejects the default, naming it and the value
 */
export function checkOwnDefault(
  schema: JsonSchema,
  node: YamlNode | null | undefined,
  annotations: AnnotationEntry[],
) {
  if (annotations.length === 0 || node === null || node === undefined) return;
  let value: unknown;
  if (isMap(node) || isSeq(node)) {
    try {
      value = (node as unknown as { toJSON(): unknown }).toJSON();
    } catch {
      value = isMap(node) ? {} : []; // aliases inside: judge by kind only
    }
  } else if (isScalar(node)) value = node.value instanceof Uint8Array ? "" : node.value;
  else return;
  if (value === null || typeof value === "symbol" || typeof value === "bigint") return;
  const found = rejection(schema, value);
  if (!found) return;
  const entry = annotations.filter((a) => a.keyword === found.keyword).pop() ??
    annotations.filter((a) => a.keyword === "item" || a.keyword === "nullable").pop() ?? annotations[0];
  throw inputError(
    entry.position,
    `@schema ${found.keyword} rejects this key's own default ${JSON.stringify(value)}, which ${found.why}`,
    {
      code: "schema.default",
      hint: "Helm validates the chart's own values on every install: change the annotation or the default.",
    },
  );
}
