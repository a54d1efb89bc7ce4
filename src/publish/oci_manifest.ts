// The OCI manifest and config `helm push` writes for a chart package (Helm's pkg/registry, the same in Helm
// 3.17 and 4.1), built in process so that a chart can be pushed without a helm process: the config is
// the chart's metadata as Helm's Go structs marshal it, the layers are the package and its .prov, the
// annotations those Helm derives from Chart.yaml.
import { parseDocument } from "../deps/yaml.ts";
import { goYamlTags } from "../chart/go_yaml.ts";
import { sha256Hex } from "../runtime/digest.ts";

/** Media types of Helm's OCI charts (Helm's pkg/registry constants.go). */
export const HELM_MEDIA_TYPES = {
  config: "application/vnd.cncf.helm.config.v1+json",
  chart: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
  prov: "application/vnd.cncf.helm.chart.provenance.v1.prov",
  manifest: "application/vnd.oci.image.manifest.v1+json",
} as const;

/** A blob of the manifest: its bytes, digest (`sha256:…`) and media type. */
export interface OciBlob {
  mediaType: string;
  digest: string;
  bytes: Uint8Array;
}

/** What is uploaded for one chart: the blobs (config first), then the manifest under the tag. */
export interface HelmChartArtifact {
  config: OciBlob;
  layers: OciBlob[];
  manifest: Uint8Array;
  /** `sha256:…` of `manifest`: the digest the registry must report for the tag. */
  digest: string;
}

/**
 * JSON as Go's encoding/json writes it (Helm marshals the config and the manifest with it): no spaces,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c`…; everything else as JSON.stringify writes it (same
 * escapes for `"`, `\`, control characters; other characters raw UTF-8). Key order is the caller's.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// The fields of Helm's chart.Metadata (pkg/chart/v2 metadata.go), in the order of the Go struct, which is
// the order json.Marshal writes them; every one `omitempty`.
const METADATA_FIELDS = [
  ["name", "string"],
  ["home", "string"],
  ["sources", "strings"],
  ["version", "string"],
  ["description", "string"],
  ["keywords", "strings"],
  ["maintainers", "maintainers"],
  ["icon", "string"],
  ["apiVersion", "string"],
  ["condition", "string"],
  ["tags", "string"],
  ["appVersion", "string"],
  ["deprecated", "bool"],
  ["annotations", "annotations"],
  ["kubeVersion", "string"],
  ["dependencies", "dependencies"],
  ["type", "string"],
] as const;
const MAINTAINER_FIELDS = ["name", "email", "url"];
// chart.Dependency, in its order; `name` and `repository` are the only fields without `omitempty` anywhere
// (written as "" when absent). `export-values` exists in the Helm versions that have it: a package holds
// it only when the Helm that packaged it (the one that would push it) knows it.
const DEPENDENCY_FIELDS = [
  ["name", "string", "always"],
  ["version", "string"],
  ["repository", "string", "always"],
  ["condition", "string"],
  ["tags", "strings"],
  ["enabled", "bool"],
  ["import-values", "any"],
  ["export-values", "any"],
  ["alias", "string"],
] as const;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === "string");

/** A value with its map keys sorted, as Go marshals a map[string]interface{}; undefined for a non-JSON value. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(sortedKeys);
    return items.includes(undefined) ? undefined : items;
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "object") return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = sortedKeys((value as Record<string, unknown>)[key]);
    if (v === undefined) return undefined;
    out[key] = v;
  }
  return out;
}

/** Go's omitempty: "", false, an empty list or map are left out. */
function empty(value: unknown): boolean {
  return value === undefined || value === null || value === "" || value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

/** One struct in its field order, or undefined when a field has a type the struct cannot hold. */
function struct(
  data: Record<string, unknown>,
  fields: readonly (readonly [string, string, "always"?])[],
  nested: (kind: string, value: unknown) => unknown,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, kind, always] of fields) {
    const value = data[key];
    if (value === undefined || value === null) {
      if (always) out[key] = "";
      continue;
    }
    let typed: unknown;
    if (kind === "string") typed = typeof value === "string" ? value : undefined;
    else if (kind === "bool") typed = typeof value === "boolean" ? value : undefined;
    else if (kind === "strings") typed = isStrings(value) ? value : undefined;
    else typed = nested(kind, value);
    if (typed === undefined) return undefined;
    if (always || !empty(typed)) out[key] = typed;
  }
  return out;
}

/**
 * The config blob `helm push` writes: the chart's metadata as `json.Marshal(chart.Metadata)` gives it (Helm's
 * struct field order, empty fields left out, map keys sorted, Go's escaping), from the Chart.yaml inside a
 * package that `helm package` wrote (Helm writes that file from the same struct, so it holds only its
 * fields, as strings where the struct has strings).
 *
 * @returns the JSON text, or undefined when the Chart.yaml holds something this mapping does not know
 *   (another type than Helm's struct, an unknown field): the caller lets `helm push` handle that chart.
 */
export function helmChartConfig(chartYaml: string): string | undefined {
  let data: unknown;
  try {
    const doc = parseDocument(chartYaml, { version: "1.1", customTags: (tags) => goYamlTags(tags) });
    if (doc.errors.length > 0) return undefined;
    data = doc.toJS();
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const known = new Set<string>(METADATA_FIELDS.map(([k]) => k));
  if (Object.keys(data).some((k) => !known.has(k))) return undefined;
  const nested = (kind: string, value: unknown): unknown => {
    if (kind === "annotations") return isStringMap(value) ? sortedKeys(value) : undefined;
    if (kind === "any") return sortedKeys(value);
    if (!Array.isArray(value)) return undefined;
    const items = value.map((item) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
      if (kind === "maintainers") {
        if (Object.keys(item).some((k) => !MAINTAINER_FIELDS.includes(k))) return undefined;
        return struct(
          item as Record<string, unknown>,
          MAINTAINER_FIELDS.map((f) => [f, "string"]),
          () => undefined,
        );
      }
      const depKeys = new Set<string>(DEPENDENCY_FIELDS.map(([k]) => k));
      if (Object.keys(item).some((k) => !depKeys.has(k))) return undefined;
      return struct(item as Record<string, unknown>, DEPENDENCY_FIELDS, nested);
    });
    return items.includes(undefined) ? undefined : items;
  };
  const metadata = struct(data as Record<string, unknown>, METADATA_FIELDS, nested);
  return metadata ? goJson(metadata) : undefined;
}

/**
 * The manifest annotations Helm sets (pkg/registry chart.go, generateOCIAnnotations): description, title
 * (name), version, url (home), created, source (the first of `sources`), authors (`Name (email), …`), each
 * only when not blank; then the chart's own annotations, which may not replace title and version.
 *
 * @param metadata the parsed config (see {@link helmChartConfig})
 * @param created the creation time as Helm writes `org.opencontainers.image.created` (see {@link createdAt})
 */
export function helmAnnotations(metadata: Record<string, unknown>, created: string): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (key: string, value: unknown) => {
    if (typeof value === "string" && value.trim().length > 0) out[`org.opencontainers.image.${key}`] = value;
  };
  add("description", metadata.description);
  add("title", metadata.name);
  add("version", metadata.version);
  add("url", metadata.home);
  add("created", created);
  const sources = metadata.sources as string[] | undefined;
  if (sources?.length) add("source", sources[0]);
  const maintainers = metadata.maintainers as { name?: string; email?: string }[] | undefined;
  if (maintainers?.length) {
    add(
      "authors",
      maintainers.map((m) => `${m.name ?? ""}${m.email ? ` (${m.email})` : ""}`).join(", "),
    );
  }
  for (const [key, value] of Object.entries((metadata.annotations ?? {}) as Record<string, string>)) {
    if (key === "org.opencontainers.image.title" || key === "org.opencontainers.image.version") continue;
    out[key] = value;
  }
  return out;
}

/**
 * `org.opencontainers.image.created` as `helm push` writes it (Helm 3.17 and 4.1, pkg/pusher/ocipusher.go): the
 * package file's modification time, formatted with Go's `time.RFC3339` in the local time zone (whole seconds;
 * `Z` for UTC, else `+hh:mm`/`-hh:mm`). Taking the file's time, not the clock's, makes a push reproducible: the
 * same package gives the same manifest digest, however often and by whichever way (ours or `helm push`) it is
 * pushed.
 *
 * @param offsetMinutes the local zone's offset east of UTC at `date` (default: the process's time zone, which
 *   Deno takes from `TZ` as Go does)
 */
export function createdAt(date: Date, offsetMinutes = -date.getTimezoneOffset()): string {
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + offsetMinutes * 60_000);
  const zone = offsetMinutes === 0
    ? "Z"
    : `${offsetMinutes < 0 ? "-" : "+"}${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, "0")}:${
      String(Math.abs(offsetMinutes) % 60).padStart(2, "0")
    }`;
  return local.toISOString().replace(/\.\d+Z$/, zone);
}

async function blob(mediaType: string, bytes: Uint8Array): Promise<OciBlob> {
  return { mediaType, digest: `sha256:${await sha256Hex(bytes)}`, bytes };
}

/**
 * Everything `helm push` uploads for a package: config, layers (the package and, for a signed chart, its
 * .prov, sorted by digest as Helm sorts them) and the manifest (schema version 2, no media type field, the
 * annotations of {@link helmAnnotations}), byte for byte as Helm marshals them.
 *
 * @returns undefined when the package's Chart.yaml is outside what {@link helmChartConfig} maps
 */
export async function helmChartArtifact(
  tgz: Uint8Array,
  chartYaml: string,
  prov: Uint8Array | undefined,
  created: string,
): Promise<HelmChartArtifact | undefined> {
  const configJson = helmChartConfig(chartYaml);
  if (configJson === undefined) return undefined;
  const config = await blob(HELM_MEDIA_TYPES.config, new TextEncoder().encode(configJson));
  const layers = [await blob(HELM_MEDIA_TYPES.chart, tgz)];
  if (prov) layers.push(await blob(HELM_MEDIA_TYPES.prov, prov));
  layers.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const descriptor = (b: OciBlob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.bytes.length });
  const annotations = helmAnnotations(JSON.parse(configJson), created);
  const sorted = Object.fromEntries(Object.keys(annotations).sort().map((k) => [k, annotations[k]]));
  const manifest = new TextEncoder().encode(goJson({
    schemaVersion: 2,
    config: descriptor(config),
    layers: layers.map(descriptor),
    ...(Object.keys(sorted).length > 0 ? { annotations: sorted } : {}),
  }));
  return { config, layers, manifest, digest: `sha256:${await sha256Hex(manifest)}` };
}
