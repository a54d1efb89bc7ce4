// Kubernetes JSON schemas for `$ref: $k8s/...` without the network: `$k8s/<file>` names a document of the
// yannh/kubernetes-json-schema layout (`<version>/<kind>-<group>-<version>.json`, unversioned aliases such as
// `container.json`, and `_definitions.json` behind them). A local folder can stand in for that host: laid
// out like it (`<dir>/<version>/...` or the files directly in `<dir>`), or like the schemas the PyPI package
// kubernetes-validate ships (`<dir>/vX.Y.0-local/...`, absolute `/api/_definitions.json` references).
import { join } from "node:path";
import { ExitCode, FastcsError } from "../runtime/errors.ts";
import { readTextIfReadable } from "../runtime/fs.ts";
import { DATA_KEYWORDS, type JsonSchema } from "./drafts.ts";

/** The `$k8s/` URL template's default (helm-values-schema-json's). */
export const DEFAULT_K8S_SCHEMA_URL =
  "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/refs/heads/master/{{ .K8sSchemaVersion }}/";

/** The base URL `$k8s/` expands to for a version (with a final slash). */
export function k8sBaseUrl(template: string, version: string): string {
  return template.replace(/\{\{\s*\.K8sSchemaVersion\s*\}\}/g, version).replace(/\/?$/, "/");
}

/**
 * Expands `$k8s/<file>` to the URL of that document for the configured Kubernetes version; other references
 * are returned as they are.
 *
 * @returns the expanded reference, or undefined for `$k8s/` without a version (the caller says where)
 */
export function expandK8sRef(ref: string, template: string, version: string | undefined): string | undefined {
  if (!ref.startsWith("$k8s/")) return ref;
  return version ? k8sBaseUrl(template, version) + ref.slice("$k8s/".length) : undefined;
}

/** The hint for a `$k8s/` reference without a version. */
export const K8S_VERSION_HINT =
  "Set k8sSchemaVersion in .schema.yaml (e.g. v1.33.1) or pass --k8s-schema-version.";

async function listJson(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

// Every `$ref` that names a file by an absolute path (`/api/_definitions.json#...`) is made relative to the
// version folder (`_definitions.json#...`), and the document's own `$id` dropped, so that references resolve
// against the `$k8s/` URL the document is embedded under.
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== "object") return value;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "$id") continue;
    if (k === "$ref" && typeof v === "string" && v.startsWith("/")) {
      const hash = v.indexOf("#");
      const path = hash < 0 ? v : v.slice(0, hash);
      out[k] = path.split("/").pop()! + (hash < 0 ? "" : v.slice(hash));
    } else out[k] = DATA_KEYWORDS.has(k) ? v : rebase(v);
  }
  return out;
}

/**
 * A loader of `$k8s/` documents from a local folder.
 *
 * @param dir the folder (see the module comment for the layouts understood)
 * @param baseUrl what `$k8s/` expands to (see {@link k8sBaseUrl})
 * @param version the Kubernetes version asked for (`v1.33.1`); kubernetes-validate's `v1.33.0-local`
 *   stands in for any v1.33 patch level
 * @returns a function giving a URL's document text, or undefined for a URL outside `baseUrl`
 * @throws (from the function) FastcsError exit code 5 naming the version and the folders looked in
 */
export function k8sSchemaLoader(dir: string, baseUrl: string, version: string) {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const folders = [join(dir, version), dir];
  if (m) folders.push(join(dir, `v${m[1]}.${m[2]}.0-local`), join(dir, `v${m[1]}.${m[2]}.0`));
  return async (url: string): Promise<string | undefined> => {
    if (!url.startsWith(baseUrl)) return undefined;
    const name = url.slice(baseUrl.length).replace(/#.*$/, "");
    const stem = name.replace(/\.json$/, "");
    for (const folder of folders) {
      let text = await readTextIfReadable(join(folder, name));
      if (text === undefined && !/-v\d/.test(stem)) {
        // An unversioned alias (`container.json`): the one versioned file of that kind, v1 first.
        const files = (await listJson(folder)).filter((f) => f.startsWith(`${stem}-`));
        const pick = files.find((f) => f === `${stem}-v1.json`) ??
          (files.length === 1 ? files[0] : undefined);
        if (pick) text = await readTextIfReadable(join(folder, pick));
      }
      if (text !== undefined) {
        try {
          return JSON.stringify(rebase(JSON.parse(text)));
        } catch {
          return text; // not JSON: the bundler reports it
        }
      }
    }
    throw new FastcsError(
      `$k8s/${name}: no schema for Kubernetes ${version} in ${dir} (looked in ${folders.join(", ")})`,
      {
        code: "k8s.missing",
        exitCode: ExitCode.input,
        hint: "Set k8sSchemaVersion to a version the folder holds, or add that version's schemas to it.",
      },
    );
  };
}
