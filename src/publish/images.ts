// The image policy of a publish: no container image in a chart's values may use `:latest` or no tag at
// all, since such a release is not reproducible. Reported with file:line:column and the value path.
import { isMap, isScalar, isSeq } from "../deps/yaml.ts";
import type { Pair, YamlNode } from "../deps/yaml.ts";
import type { SourcePosition } from "../runtime/errors.ts";
import { nodeStart, resolveNode, type YamlSource } from "../chart/yaml_source.ts";

/** An image reference that breaks the policy. */
export interface ImageProblem {
  position: SourcePosition;
  /** Dotted path of the image value, e.g. `image` or `sidecar.image`. */
  path: string;
  reference: string;
  problem: "uses :latest" | "has no tag";
}

/** Why an image reference breaks the policy (`uses :latest`, `has no tag`), or undefined when it has a tag
 * other than `latest` or a digest. A registry port (`host:5000/app`) is no tag. */
export function imageTagProblem(reference: string): ImageProblem["problem"] | undefined {
  const tag = tagOf(reference);
  return tag === undefined || tag === "" ? "has no tag" : tag === "latest" ? "uses :latest" : undefined;
}

function tagOf(reference: string): string | undefined {
  if (reference.includes("@sha256:")) return "@digest";
  const lastSlash = reference.lastIndexOf("/");
  const colon = reference.indexOf(":", lastSlash + 1);
  return colon < 0 ? undefined : reference.slice(colon + 1);
}

function scalarText(node: YamlNode | null | undefined): string | undefined {
  if (!isScalar(node) || node.value === null) return undefined;
  return String(node.value);
}

/**
 * Finds the images of a values file that use `:latest` or no tag. An image is a key named `image` (or
 * ending in `Image`) whose value is a reference string (`repo:tag`, `repo@sha256:…`) or a mapping with
 * `repository` and `tag` (and optionally `registry`, `digest`). An empty `tag` means "the chart's
 * appVersion" (the common chart convention), so then `appVersion` is checked instead.
 */
export function findImageProblems(source: YamlSource, appVersion: string | undefined): ImageProblem[] {
  const problems: ImageProblem[] = [];
  const walk = (node: YamlNode | null | undefined, path: string[]) => {
    const target = resolveNode(source, node);
    if (isSeq(target)) {
      target.items.forEach((item, i) => walk(item as YamlNode, [...path, `[${i}]`]));
      return;
    }
    if (!isMap(target)) return;
    for (const pair of target.items as Pair[]) {
      const key = scalarText(pair.key as YamlNode) ?? "";
      const value = resolveNode(source, pair.value as YamlNode);
      const here = [...path, key];
      if (key === "image" || /[a-z]Image$/.test(key)) {
        const problem = checkImage(value, appVersion);
        if (problem) {
          problems.push({
            position: source.position(
              nodeStart(problem.at ?? (pair.value as YamlNode) ?? (pair.key as YamlNode)),
            ),
            path: [...here, ...(problem.field ? [problem.field] : [])].join(".").replace(/\.\[/g, "["),
            ...problem.found,
          });
          continue;
        }
      }
      walk(pair.value as YamlNode, here);
    }
  };
  walk(source.doc.contents as YamlNode, []);
  return problems;
}

function checkImage(
  value: YamlNode | null | undefined,
  appVersion: string | undefined,
): { found: Pick<ImageProblem, "reference" | "problem">; at?: YamlNode; field?: string } | undefined {
  const text = scalarText(value);
  if (text !== undefined) {
    if (text === "") return undefined;
    const tag = tagOf(text);
    if (tag === undefined) return { found: { reference: text, problem: "has no tag" } };
    if (tag === "latest") return { found: { reference: text, problem: "uses :latest" } };
    return undefined;
  }
  if (!isMap(value)) return undefined;
  const field = (name: string) => (value.items as Pair[]).find((p) => scalarText(p.key as YamlNode) === name);
  const repository = scalarText(field("repository")?.value as YamlNode) ??
    scalarText(field("repo")?.value as YamlNode);
  if (!repository) return undefined; // not an image reference, or an image that is not used
  if (scalarText(field("digest")?.value as YamlNode)) return undefined;
  const tagPair = field("tag");
  const tag = scalarText(tagPair?.value as YamlNode);
  const registry = scalarText(field("registry")?.value as YamlNode);
  const reference = `${registry ? registry + "/" : ""}${repository}`;
  if (!tagPair || tag === undefined) {
    return {
      found: { reference, problem: "has no tag" },
      at: (tagPair?.key ?? field("repository")?.key) as YamlNode,
    };
  }
  if (tag === "latest") {
    return {
      found: { reference: `${reference}:latest`, problem: "uses :latest" },
      at: tagPair.value as YamlNode,
      field: "tag",
    };
  }
  if (tag === "") {
    if (!appVersion) {
      return {
        found: { reference: `${reference} (tag empty, chart has no appVersion)`, problem: "has no tag" },
        at: tagPair.value as YamlNode,
        field: "tag",
      };
    }
    if (appVersion === "latest") {
      return {
        found: { reference: `${reference}:latest (from appVersion)`, problem: "uses :latest" },
        at: tagPair.value as YamlNode,
        field: "tag",
      };
    }
  }
  return undefined;
}
