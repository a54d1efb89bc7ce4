// What a promotion changes: the rendered manifests of the target after the promotion against what runs
// there now, resource by resource, with Secret data redacted (only whether it changed is shown).
import { createTwoFilesPatch } from "../deps/diff.ts";
import { parseAllDocuments, stringifyYaml } from "../deps/yaml.ts";
import { sha256Hex } from "../runtime/digest.ts";

/** One resource's change. */
export interface ResourceChange {
  /** `Kind/name` (with `namespace/` when set). */
  resource: string;
  change: "added" | "changed" | "removed";
  /** Unified diff of the resource's YAML. */
  patch: string;
}

/** The changes of one release. */
export interface ManifestDiff {
  changes: ResourceChange[];
  /** Resources that stay the same. */
  unchanged: number;
}

async function fingerprint(value: unknown): Promise<string> {
  return (await sha256Hex(JSON.stringify(value))).slice(0, 12);
}

/**
 * Splits a multi-document manifest into resources keyed `Kind/namespace/name`, Secret values replaced by
 * `<redacted sha256:…>` so a change still shows without the value (unless `showSecrets`).
 */
export async function resources(manifest: string, showSecrets = false): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const doc of parseAllDocuments(manifest)) {
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj || typeof obj !== "object" || !obj.kind) continue;
    const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
    if (obj.kind === "Secret" && !showSecrets) {
      for (const field of ["data", "stringData"]) {
        const data = obj[field] as Record<string, unknown> | undefined;
        if (!data) continue;
        for (const key of Object.keys(data)) data[key] = `<redacted sha256:${await fingerprint(data[key])}>`;
      }
    }
    const key = `${obj.kind}/${meta.namespace ? meta.namespace + "/" : ""}${meta.name ?? "?"}`;
    out.set(key, stringifyYaml(obj, { sortMapEntries: true }));
  }
  return out;
}

/**
 * Compares the current manifest of a release with the one a promotion would install. `labels` name the two
 * sides in each patch's header (default `running` and `promoted`; `not installed` for a first install).
 */
export async function diffManifests(
  current: string,
  next: string,
  showSecrets = false,
  labels: { before?: string; after?: string } = {},
): Promise<ManifestDiff> {
  const before = await resources(current, showSecrets);
  const after = await resources(next, showSecrets);
  const changes: ResourceChange[] = [];
  let unchanged = 0;
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(key);
    const b = after.get(key);
    if (a === b) {
      unchanged++;
      continue;
    }
    changes.push({
      resource: key,
      change: a === undefined ? "added" : b === undefined ? "removed" : "changed",
      patch: createTwoFilesPatch(
        `${key} (${labels.before ?? "running"})`,
        `${key} (${labels.after ?? "promoted"})`,
        a ?? "",
        b ?? "",
        "",
        "",
        {
          context: 3,
        },
      ),
    });
  }
  return { changes, unchanged };
}
