// Pruning a bundled schema: a document such as Kubernetes' `_definitions.json` (500 kB and more) is embedded
// whole by bundling, though a chart uses a few of its definitions. Only the definitions reachable from the
// values schema (transitively, through every `$ref`) are kept, so a bundled schema stays small.
import { isMapping } from "../chart/coalesce.ts";
import { DATA_KEYWORDS, decodePointerSegment, type JsonSchema } from "./drafts.ts";

const DEF_MAPS = ["$defs", "definitions"];

type Context = { doc?: string }; // undefined: the root document

/**
 * Removes, from every document embedded under the bundle's `$defs` (draft 7: `definitions`), the entries of
 * its own `$defs`/`definitions` maps that no `$ref` reaches from the values schema. Documents are found by
 * their `$id` (absolute or relative `$ref`s) or by pointer (`#/$defs/<name>/...`).
 *
 * @param bundled a schema as {@link bundleRefs} returns it (modified in place and returned)
 * @param defsKey where the bundle keeps embedded documents: `$defs`, or `definitions` for draft 7
 */
export function pruneBundle(bundled: JsonSchema, defsKey: string): JsonSchema {
  const docs = (bundled[defsKey] ?? {}) as Record<string, JsonSchema>;
  const byId = new Map<string, string>();
  for (const [name, doc] of Object.entries(docs)) {
    if (isMapping(doc) && typeof doc.$id === "string") byId.set(doc.$id.replace(/#.*$/, ""), name);
  }
  const kept = new Map<string, Set<string>>(); // doc name -> "map/key" entries reached
  const visitedDocs = new Set<string>();
  const queue: { value: unknown; ctx: Context }[] = [];

  const reach = (docName: string, segments: string[]) => {
    const doc = docs[docName];
    if (!isMapping(doc)) return;
    // A document embedded by pointer had its references rewritten to the root's (`#/$defs/<name>/...`).
    const inside: Context = typeof doc.$id === "string" ? { doc: docName } : {};
    if (segments.length >= 2 && DEF_MAPS.includes(segments[0]) && isMapping(doc[segments[0]])) {
      const entry = `${segments[0]}/${segments[1]}`;
      const seen = kept.get(docName) ?? new Set();
      kept.set(docName, seen);
      if (seen.has(entry)) return;
      seen.add(entry);
      queue.push({ value: (doc[segments[0]] as JsonSchema)[segments[1]], ctx: inside });
      return;
    }
    // The document itself (or a part outside its definition maps): its body, without those maps.
    if (visitedDocs.has(docName)) return;
    visitedDocs.add(docName);
    kept.set(docName, kept.get(docName) ?? new Set());
    const body = Object.fromEntries(Object.entries(doc).filter(([k]) => !DEF_MAPS.includes(k)));
    queue.push({ value: body, ctx: inside });
  };

  const follow = (ref: string, ctx: Context) => {
    const hash = ref.indexOf("#");
    const fragment = hash < 0 ? "" : ref.slice(hash + 1);
    const segments = fragment.startsWith("/") ? fragment.slice(1).split("/").map(decodePointerSegment) : [];
    const address = hash < 0 ? ref : ref.slice(0, hash);
    if (address === "") {
      if (ctx.doc !== undefined) return reach(ctx.doc, segments);
      // The root: a pointer into the bundle's embedded documents, or somewhere in the values schema.
      if (segments[0] === defsKey && segments[1] !== undefined && segments[1] in docs) {
        return reach(segments[1], segments.slice(2));
      }
      return; // the root's own parts are walked anyway
    }
    const base = ctx.doc !== undefined ? docs[ctx.doc]?.$id : undefined;
    let url: string;
    try {
      url = typeof base === "string" ? new URL(address, base).href : new URL(address).href;
    } catch {
      return; // a relative reference with no base: nothing embedded can be meant
    }
    const name = byId.get(url);
    if (name !== undefined) reach(name, segments);
  };

  const walk = (value: unknown, ctx: Context, top: boolean) => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, ctx, false);
      return;
    }
    if (!isMapping(value)) return;
    if (typeof value.$ref === "string") follow(value.$ref, ctx);
    for (const [k, v] of Object.entries(value)) {
      if (DATA_KEYWORDS.has(k) || (top && ctx.doc === undefined && k === defsKey)) continue;
      walk(v, ctx, false);
    }
  };

  walk(bundled, {}, true);
  while (queue.length > 0) {
    const { value, ctx } = queue.pop()!;
    walk(value, ctx, false);
  }
  for (const [name, doc] of Object.entries(docs)) {
    const reached = kept.get(name);
    if (!reached || !isMapping(doc)) continue; // never referenced: left as bundling made it
    for (const map of DEF_MAPS) {
      if (!isMapping(doc[map])) continue;
      const entries = doc[map] as JsonSchema;
      doc[map] = Object.fromEntries(Object.entries(entries).filter(([k]) => reached.has(`${map}/${k}`)));
    }
  }
  return bundled;
}
