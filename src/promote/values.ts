// Promoted values: the keys that move with a promotion (by default image tags), read from the source
// release and laid over the target environment's own values.

/** A dotted path with `*` for "any one key", e.g. `*.image.tag`. */
function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === "*" || p === path[i]);
}

/**
 * The values at promoted keys, as a sparse values tree: only the matched leaves (or subtrees) of
 * `values`, at their paths.
 */
export function pickPromoted(values: unknown, patterns: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const split = patterns.map((p) => p.split("."));
  const walk = (node: unknown, path: string[]) => {
    if (split.some((p) => matches(p, path))) {
      setPath(out, path, structuredClone(node));
      return;
    }
    if (
      node !== null && typeof node === "object" && !Array.isArray(node) &&
      split.some((p) => p.length > path.length)
    ) {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    }
  };
  walk(values, []);
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== "object" || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Every leaf path of a sparse values tree, dotted (for messages and provenance). */
export function leafPaths(tree: Record<string, unknown>, prefix: string[] = []): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0
      ? leafPaths(v as Record<string, unknown>, [...prefix, k])
      : [[...prefix, k].join(".")]
  );
}
