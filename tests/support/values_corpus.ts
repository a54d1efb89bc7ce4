// Deterministic generator of awkward values files, shaped like the values of large public charts:
// deep nesting, lists of objects, anchors, aliases and merge keys, comments in odd places, block scalars,
// flow collections, keys with dots, slashes and spaces, YAML 1.1 booleans, nulls and empty collections.
// Used by the robustness tests and by the benchmark (scripts/bench_schema.ts).

/** A small seeded PRNG (mulberry32): a seed always gives the same sequence of numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCALARS = [
  "1",
  "0",
  "-3",
  "1.5",
  "1e3",
  "0x1F",
  "0755",
  "true",
  "false",
  "yes",
  "off",
  "~",
  "",
  "''",
  '"quoted # not a comment"',
  "plain text",
  "'it''s'",
  "2001-12-14",
  '"multi\\nline"',
  "v1.2.3",
  "[a, b]",
  "{a: 1, b: [x]}",
  "[]",
  "{}",
];
const KEYS = [
  "image",
  "tag",
  "repository",
  "enabled",
  "resources",
  "limits",
  "cpu",
  "memory",
  "nodeSelector",
  "annotations",
  "kubernetes.io/hostname",
  "app.kubernetes.io/name",
  "with space",
  "'quoted:key'",
  "service",
  "ports",
  "env",
  "x-1",
  "persistence",
  "size",
];

/**
 * Returns a values file of about `lines` lines.
 *
 * @param lines target line count (the result may be a few lines longer)
 * @param seed PRNG seed
 */
export function awkwardValues(lines: number, seed = 1): string {
  const rand = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const out: string[] = [
    "# Generated awkward values file",
    "",
    "defaults: &defaults",
    "  timeout: 30",
    "  retries: 3",
    "  labels: {tier: backend}",
  ];
  let n = 0;
  const block = (indent: number, depth: number) => {
    const pad = " ".repeat(indent);
    const count = 2 + Math.floor(rand() * 5);
    const used = new Set<string>();
    for (let i = 0; i < count && out.length < lines; i++) {
      let key = `${pick(KEYS)}`;
      while (used.has(key)) key = `${pick(KEYS).replace(/'/g, "")}-${n++}`;
      used.add(key);
      const r = rand();
      let shape = 1;
      if (r < 0.12) out.push(`${pad}# -- ${key} is documented`, `${pad}# over two lines`);
      if (r > 0.9) out.push(`${pad}## @param ${key} bitnami style`);
      if (depth < 5 && rand() < 0.35) {
        out.push(`${pad}${key}:${rand() < 0.2 ? " # trailing comment on a block key" : ""}`);
        block(indent + 2, depth + 1);
        if (rand() < 0.1) out.push(`${pad}# a comment after a block, at its key's indent`);
      } else if (depth < 5 && rand() < 0.2) {
        out.push(`${pad}${key}:`);
        const items = 1 + Math.floor(rand() * 3);
        for (let j = 0; j < items; j++) {
          if (rand() < 0.5) {
            out.push(`${pad}  - name: item${j}`, `${pad}    value: ${pick(SCALARS)}`);
            if (rand() < 0.3) {
              out.push(`${pad}    # comment between item keys`, `${pad}    extra: ${pick(SCALARS)}`);
            }
          } else out.push(`${pad}  - ${pick(SCALARS)}`);
        }
      } else if ((shape = rand()) < 0.05) {
        out.push(
          `${pad}${key}: |`,
          `${pad}  line one # not a comment`,
          `${pad}  line two`,
          `${pad}# comment after a block scalar`,
        );
      } else if (shape < 0.1) {
        out.push(`${pad}${key}:`, `${pad}  <<: *defaults`, `${pad}  timeout: 60`);
      } else if (shape < 0.14) {
        out.push(`${pad}${key}: *defaults`);
      } else {
        out.push(`${pad}${key}: ${pick(SCALARS)}${rand() < 0.15 ? "   # inline comment" : ""}`);
      }
    }
  };
  let section = 0;
  while (out.length < lines) {
    out.push("", `# Section ${section}`, `section${section++}:`);
    block(2, 1);
  }
  out.push("# trailing comment at the end of the file", "");
  return out.join("\n");
}
