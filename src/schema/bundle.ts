// Offline bundling: every `$ref` to another document (http(s) URL or local file) is fetched once and
// embedded under `$defs` (draft 7: `definitions`), so that Helm never fetches a schema at lint or install
// time (Helm 3.18.6+ and Helm 4 fetch remote $refs on every run, which fails air-gapped).
// An http(s) document keeps its URL as `$id` and the `$ref`s stay as written (JSON Schema 2020-12
// section 9.3, bundling); local files, and every document with `withoutId`, are referenced by JSON
// pointer instead (`#/$defs/name`), which editors without `$id` support understand.
import { isAbsolute, relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";
const toFileUrl = (path: string) => pathToFileURL(path);
import { parseDocument } from "../deps/yaml.ts";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { DATA_KEYWORDS, type Draft, type JsonSchema } from "./drafts.ts";
import { K8S_VERSION_HINT } from "./k8s_schemas.ts";
import { asSchemaDocument } from "../chart/validate.ts";

/** Options of {@link bundleRefs}. */
export interface BundleOptions {
  draft: Draft;
  /** Folder that relative file `$ref`s of the values schema are resolved against. */
  baseDir: string;
  /** Local files may be bundled only from inside this folder. */
  bundleRoot: string;
  withoutId: boolean;
  /** The schema written last time: its bundled documents are reused, so `--check` needs no network. */
  previous?: JsonSchema;
  /** Fetches an http(s) URL's text. */
  fetchRef: (url: string) => Promise<string>;
  /** Expands `$k8s/` references met in bundled files (undefined: no Kubernetes version is set). */
  expandRef?: (ref: string) => string | undefined;
  display: (path: string) => string;
}

interface Doc {
  url: string;
  name: string;
  schema: JsonSchema;
  byPointer: boolean;
}

function splitRef(ref: string, base: string): { url: string; fragment: string } | undefined {
  if (ref.startsWith("#")) return undefined;
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(ref)
    ? ref
    : isAbsolute(ref)
    ? toFileUrl(ref).href
    : new URL(ref, base).href;
  const hash = absolute.indexOf("#");
  return hash < 0
    ? { url: absolute, fragment: "" }
    : { url: absolute.slice(0, hash), fragment: absolute.slice(hash + 1) };
}

function walkRefs(value: unknown, visit: (holder: JsonSchema) => void) {
  if (Array.isArray(value)) return value.forEach((v) => walkRefs(v, visit));
  if (value === null || typeof value !== "object") return;
  const obj = value as JsonSchema;
  if (typeof obj.$ref === "string") visit(obj);
  for (const [k, v] of Object.entries(obj)) {
    if (!DATA_KEYWORDS.has(k)) walkRefs(v, visit);
  }
}

function parseText(text: string, url: string): JsonSchema {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
      throw new FastcsError(`$ref target ${url} is neither JSON nor YAML`, {
        code: "bundle.parse",
        exitCode: ExitCode.input,
      });
    }
    value = doc.toJS();
  }
  // A schema is an object or a boolean; anything else cannot be embedded.
  const schema = asSchemaDocument(value);
  if (schema === undefined) {
    throw new FastcsError(
      `$ref target ${url} is not a JSON Schema (it holds ${JSON.stringify(value) ?? "nothing"})`,
      {
        code: "bundle.not-schema",
        exitCode: ExitCode.input,
        hint: "Point the $ref at a JSON Schema document: an object (or true/false).",
      },
    );
  }
  return value as JsonSchema;
}

/**
 * Embeds every external `$ref` target of `schema` (recursively) and returns the bundled schema.
 *
 * @throws FastcsError exit code 5 for a local file outside `bundleRoot` or an unreadable target, exit
 *   code 6 when a URL cannot be fetched.
 */
export async function bundleRefs(schema: JsonSchema, options: BundleOptions): Promise<JsonSchema> {
  const defsKey = options.draft === "7" ? "definitions" : "$defs";
  const previous = new Map<string, { name: string; def: JsonSchema }>();
  const previousDefs = (options.previous?.[defsKey] ?? {}) as Record<string, JsonSchema>;
  const urlOfName = new Map<string, string>();
  for (const [name, def] of Object.entries(previousDefs)) {
    const source = (def?.$id ?? String(def?.$comment ?? "").replace(/^bundled from /, "")) as string;
    if (source && /^https?:/.test(source)) {
      previous.set(source, { name, def });
      urlOfName.set(name, source);
    }
  }
  // A document bundled by pointer had its $refs rewritten; turn them back into what the source said.
  const restore = (value: unknown, ownName: string) => {
    walkRefs(value, (holder) => {
      const m = new RegExp(`^#/${defsKey.replace("$", "\\$")}/([^/]+)(.*)$`).exec(holder.$ref as string);
      if (!m) return;
      if (m[1] === ownName) holder.$ref = `#${m[2]}`;
      else if (urlOfName.has(m[1])) holder.$ref = `${urlOfName.get(m[1])}${m[2] ? "#" + m[2] : ""}`;
    });
  };
  const out = structuredClone(schema);
  const docs = new Map<string, Doc>();
  const usedNames = new Set(Object.keys((out[defsKey] ?? {}) as JsonSchema));
  const baseUrl = toFileUrl(options.baseDir.endsWith("/") ? options.baseDir : options.baseDir + "/").href;

  const load = async (url: string): Promise<JsonSchema> => {
    const reused = previous.get(url);
    if (reused) {
      const copy = structuredClone(reused.def);
      if (!("$id" in copy)) restore(copy, reused.name);
      delete copy.$id;
      if (String(copy.$comment ?? "").startsWith("bundled from ")) delete copy.$comment;
      return copy;
    }
    if (url.startsWith("file:")) {
      const path = fromFileUrl(url);
      const rel = relative(options.bundleRoot, path);
      if (rel.startsWith("..") || isAbsolute(rel)) {
        throw new FastcsError(
          `$ref ${options.display(path)} is outside the bundle root ${
            options.display(options.bundleRoot) || "."
          }`,
          {
            code: "bundle.outside",
            exitCode: ExitCode.input,
            hint: "Move the file under the chart, or set bundleRoot in .schema.yaml.",
          },
        );
      }
      try {
        return parseText(await Deno.readTextFile(path), url);
      } catch (error) {
        if (error instanceof FastcsError) throw error;
        throw new FastcsError(
          `cannot read $ref target ${options.display(path)}: ${(error as Error).message}`,
          {
            code: "bundle.read",
            exitCode: ExitCode.input,
          },
        );
      }
    }
    return parseText(await options.fetchRef(url), url);
  };

  const nameFor = (url: string) => {
    const base =
      (url.split("/").pop() ?? "schema").replace(/\.(json|ya?ml)$/, "").replace(/[^A-Za-z0-9_.-]/g, "_") ||
      "schema";
    let name = base;
    for (let i = 2; usedNames.has(name); i++) name = `${base}-${i}`;
    usedNames.add(name);
    return name;
  };

  const visitRefs = async (value: unknown, base: string, ownDoc?: Doc) => {
    const holders: JsonSchema[] = [];
    walkRefs(value, (h) => holders.push(h));
    for (const holder of holders) {
      let ref = holder.$ref as string;
      if (ref.startsWith("$k8s/")) {
        const expanded = options.expandRef?.(ref);
        if (expanded === undefined) {
          throw new FastcsError(
            `$ref ${ref} in ${ownDoc ? ownDoc.url : "the values schema"} needs a Kubernetes schema version`,
            { code: "schema.k8s", exitCode: ExitCode.input, hint: K8S_VERSION_HINT },
          );
        }
        ref = holder.$ref = expanded;
      }
      if (ref.startsWith("#")) {
        if (ownDoc?.byPointer) holder.$ref = `#/${defsKey}/${ownDoc.name}${ref.slice(1)}`;
        continue;
      }
      const target = splitRef(ref, base);
      if (!target) continue;
      let doc = docs.get(target.url);
      if (!doc) {
        const loaded = await load(target.url);
        delete loaded.$schema;
        doc = {
          url: target.url,
          name: nameFor(target.url),
          schema: loaded,
          byPointer: options.withoutId || target.url.startsWith("file:"),
        };
        docs.set(target.url, doc);
        await visitRefs(doc.schema, target.url, doc);
      }
      if (doc.byPointer || ownDoc?.byPointer) holder.$ref = `#/${defsKey}/${doc.name}${target.fragment}`;
    }
  };
  await visitRefs(out, baseUrl);
  if (docs.size === 0) return out;
  const defs = { ...((out[defsKey] ?? {}) as JsonSchema) };
  for (const doc of docs.values()) {
    defs[doc.name] = doc.byPointer
      ? {
        $comment: `bundled from ${
          doc.url.startsWith("file:") ? relative(options.baseDir, fromFileUrl(doc.url)) : doc.url
        }`,
        ...doc.schema,
      }
      // The URL it was loaded from is its $id: nested $refs were resolved against it.
      : { $id: doc.url, ...Object.fromEntries(Object.entries(doc.schema).filter(([k]) => k !== "$id")) };
  }
  out[defsKey] = defs;
  return out;
}
