// Reading a YAML values file the way Helm reads it, keeping what a schema generator needs and Helm throws
// away: every comment with its line and column, and the source position of every node.
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, parseTokens } from "../deps/yaml.ts";
import type { Document, YamlNode } from "../deps/yaml.ts";
import { inputError, type SourcePosition } from "../runtime/errors.ts";
import { goYamlTags, rejectUnprintable, tooDeep } from "./go_yaml.ts";

export { FLOAT_TAG, readYamlFile, tooDeep } from "./go_yaml.ts";

/** One `#` comment of a YAML file. Lines and columns are 0-based here (1-based only when printed). */
export interface YamlComment {
  line: number;
  column: number;
  /** The comment's text after its leading `#` characters and one space. */
  text: string;
  /** True when nothing but white space precedes the comment on its line. */
  fullLine: boolean;
}

/** A parsed YAML file: the document, its comments by line, and position helpers. */
export interface YamlSource {
  /** Path as given (relative paths stay relative, for readable messages). */
  file: string;
  text: string;
  doc: Document;
  /** At most one comment per line; keyed by 0-based line. */
  comments: Map<number, YamlComment>;
  /** The source lines, without line breaks. */
  lines: string[];
  /** 0-based line and column of a character offset. */
  lineCol(offset: number): { line: number; column: number };
  /** 1-based `file:line:column` position of a character offset. */
  position(offset: number): SourcePosition;
  /** Every anchor definition by name, in document order (an anchor may be redefined). */
  anchors: Map<string, { offset: number; node: YamlNode }[]>;
}

/**
 * Parses YAML text as Helm reads values files: YAML 1.1 scalars (`yes`/`no`/`on`/`off` are booleans, as
 * in go-yaml v2 behind sigs.k8s.io/yaml, which Helm uses), merge keys (`<<`) honoured, one document.
 *
 * `o.uniqueKeys`: a key given twice in one mapping is an error (for our own configuration files, as
 * go-yaml v3 readers such as helm-values-schema-json refuse it); values files keep Helm's last-one-wins.
 *
 * @throws FastcsError (exit code 5) naming `file:line:column` for malformed YAML, several documents, or with
 *   `uniqueKeys` a repeated key.
 */
export function parseYamlSource(file: string, text: string, o: { uniqueKeys?: boolean } = {}): YamlSource {
  rejectUnprintable(file, text);
  const lineCounter = new LineCounter();
  const lineCol = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line - 1, column: p.col - 1 };
  };
  // Shown columns count characters (code points), as editors do; lineCol's count UTF-16 units, as the
  // strings of this file do.
  const position = (offset: number): SourcePosition => {
    const p = lineCol(offset);
    const lineStart = offset - p.column;
    return { file, line: p.line + 1, column: [...text.slice(lineStart, offset)].length + 1 };
  };
  // One pass of the parser serves both the document and the comment positions.
  let tokens;
  try {
    tokens = parseTokens(text, lineCounter.addNewLine);
  } catch (error) {
    throw tooDeep(file, error);
  }
  const composer = new Composer({
    version: "1.1",
    merge: true,
    uniqueKeys: o.uniqueKeys ?? false,
    keepSourceTokens: true,
    strict: false,
    // go-yaml v2 gives Helm timestamps as strings; keep them strings here too. An explicit `!!float 1` is
    // the number 1 there (the library leaves a float tag on "1" unresolved).
    customTags: (tags) => goYamlTags(tags),
  });
  let docs;
  try {
    docs = Array.from(composer.compose(tokens, true, text.length));
  } catch (error) {
    throw tooDeep(file, error);
  }
  const overflow = docs.flatMap((d) => d.errors).find((e) => /Maximum call stack/.test(e.message));
  if (overflow) throw tooDeep(file, new RangeError(overflow.message));
  const doc = docs[0];
  const errors = [...doc.errors];
  // An empty document after the first (a trailing `---`) is accepted by Helm; a second one with content not.
  const extra = docs.slice(1).find((d) =>
    d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)
  );
  if (extra) {
    errors.push(
      {
        pos: [extra.range?.[0] ?? 0],
        message: "a values file holds one YAML document, this one has several",
      } as never,
    );
  }
  if (errors.length > 0) {
    const first = errors[0];
    const repeated = (first as { code?: string }).code === "DUPLICATE_KEY"
      ? repeatedKey(doc.contents, first.pos[0])
      : undefined;
    if (repeated) {
      const earlier = position(repeated.first);
      throw inputError(
        position(first.pos[0]),
        `malformed YAML: the key ${repeated.key} is given twice in one mapping (first at line ${earlier.line}, column ${earlier.column})`,
        {
          code: "yaml.syntax",
          hint: "Keep one of them: in this file a later key does not replace an earlier one.",
        },
      );
    }
    const message = first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw inputError(position(first.pos[0]), `malformed YAML: ${message}`, {
      code: "yaml.syntax",
      hint: o.uniqueKeys
        ? "Fix the YAML syntax at that position."
        : "Fix the YAML syntax at that position (a values file is one YAML document).",
    });
  }
  const lines = text.split(/\r?\n/);
  const source: YamlSource = {
    file,
    text,
    doc,
    comments: collectComments(tokens, lines, lineCol),
    lines,
    lineCol,
    position,
    anchors: new Map(),
  };
  try {
    indexAnchors(source.anchors, doc.contents as YamlNode | null);
    rejectSelfReferences(source, doc.contents as YamlNode | null, new Set());
    rejectExcessiveAliasing(source);
  } catch (error) {
    throw tooDeep(file, error);
  }
  return source;
}

/** The key starting at `offset` that its mapping holds twice (the composer's DUPLICATE_KEY error points at the
 * second one), with the offset of the first; undefined when no mapping under `node` has it. */
function repeatedKey(node: unknown, offset: number): { key: string; first: number } | undefined {
  if (isMap(node)) {
    const keyOf = (k: unknown) => isScalar(k) ? String(k.value) : String(k);
    const second = node.items.find((p) => (p.key as YamlNode | null)?.range?.[0] === offset);
    if (second) {
      const key = keyOf(second.key);
      const first = node.items.find((p) => p !== second && keyOf(p.key) === key);
      const at = (first?.key as YamlNode | null)?.range?.[0];
      if (at !== undefined) return { key, first: at };
    }
    for (const p of node.items) {
      const found = repeatedKey(p.value, offset);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const found = repeatedKey(item, offset);
      if (found) return found;
    }
  }
  return undefined;
}

// go-yaml refuses documents whose aliases expand far beyond their own size ("excessive aliasing",
// yaml.v2 decode.go allowedAliasRatio): with more than 100 values reached through aliases and 1,000 in all,
// those reached through aliases may be at most 99% of all up to 400,000 values, falling to 10% at 4,000,000.
// Counted here without expanding anything (sizes memoized per node), so a billion-laughs file is refused at
// once instead of being walked.
function rejectExcessiveAliasing(source: YamlSource) {
  const sizes = new Map<unknown, number>();
  let own = 0; // values written in the file itself; the rest of the expanded total comes through aliases
  let firstAlias: YamlNode | undefined;
  const size = (node: YamlNode | null | undefined, isKey = false): number => {
    if (!node) return 1;
    if (isScalar(node)) checkScalar(source, node, isKey);
    if (isAlias(node)) {
      const target = resolveNode(source, node);
      if (target === undefined) {
        throw inputError(
          source.position(node.range?.[0] ?? 0),
          `alias *${node.source} refers to no anchor defined before it`,
          { code: "yaml.alias", hint: "Define the anchor (&name) before the alias; Helm refuses it too." },
        );
      }
      firstAlias ??= node;
      return size(target);
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    own++;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (item && typeof item === "object" && "key" in item) {
          const pair = item as { key: YamlNode | null; value: YamlNode | null };
          checkMergeValue(source, pair.key, pair.value);
          n += size(pair.key, true) + size(pair.value);
        } else n += size(item as YamlNode);
      }
    }
    sizes.set(node, n);
    return n;
  };
  const total = size(source.doc.contents as YamlNode | null);
  const viaAlias = total - own;
  const allowed = total <= 400_000
    ? 0.99
    : total >= 4_000_000
    ? 0.1
    : 0.99 - 0.89 * (total - 400_000) / 3_600_000;
  if (viaAlias > 100 && total > 1000 && viaAlias / total > allowed) {
    throw inputError(
      source.position(firstAlias?.range?.[0] ?? 0),
      "excessive aliasing: the aliases expand to " +
        `${total.toLocaleString("en")} values`,
      {
        code: "yaml.aliasing",
        hint: "Helm refuses such a file too (a resource-exhaustion guard); use fewer nested aliases.",
      },
    );
  }
}

// Values that go-yaml reads but Helm cannot hand on as JSON (its values are JSON for templates and the
// schema): a key that is null, a number that is infinite or not a number, a string with a lone UTF-16
// surrogate (an escape like "\ud800").
function checkScalar(source: YamlSource, node: YamlNode, isKey: boolean) {
  const value = (node as { value: unknown }).value;
  // Runs for every scalar of the file: the position is worked out only for a value refused.
  const refuse = (message: string, hint: string) => {
    throw inputError(source.position(node.range?.[0] ?? 0), message, { code: "yaml.value", hint });
  };
  if (isKey && (value === null || value === undefined)) {
    refuse("a null key is not allowed", 'Helm refuses it too (unsupported map key): quote it, e.g. "null":');
  }
  if (!isKey && typeof value === "number" && !Number.isFinite(value)) {
    refuse(
      `${(node as { source?: string }).source ?? value} is not a number Helm can use`,
      'Quote it to have a string, e.g. ".inf".',
    );
  }
  if (
    typeof value === "string" &&
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)
  ) {
    refuse(
      "a lone UTF-16 surrogate (e.g. \\ud800) is not valid text",
      "Write the whole character, or its \\U escape.",
    );
  }
}

/**
 * The key name Helm sees for a mapping key: its string, or for numbers and booleans their text as Go
 * prints them (`15` for `0o17`); an infinite or not-a-number key keeps its source text (`.inf`).
 */
export function keyText(source: YamlSource, key: YamlNode | null | undefined): string {
  const node = resolveNode(source, key);
  if (!isScalar(node)) return "null";
  const value = node.value;
  if (typeof value === "number" && !Number.isFinite(value)) return String(node.source ?? value);
  return value === null ? "null" : String(value);
}

// A merge key takes a mapping, an alias of one, or a list of those (https://yaml.org/type/merge.html).
function checkMergeValue(source: YamlSource, key: YamlNode | null, value: YamlNode | null) {
  if (!isScalar(key) || (key.value !== "<<" && typeof key.value !== "symbol")) return;
  const ok = (n: YamlNode | null | undefined) => isMap(resolveNode(source, n));
  if (ok(value) || (isSeq(value) && (value.items as YamlNode[]).every(ok))) return;
  throw inputError(
    source.position(value?.range?.[0] ?? key.range?.[0] ?? 0),
    "a merge key (<<) needs a mapping or a list of mappings",
    {
      code: "yaml.merge",
      hint: "Write <<: *anchor where the anchor names a mapping; Helm refuses other values too.",
    },
  );
}

// The yaml library resolves an alias by walking the whole document; one index per file keeps resolving
// linear in the file size.
function indexAnchors(anchors: YamlSource["anchors"], node: YamlNode | null | undefined) {
  if (!node || isAlias(node)) return;
  const anchor = (node as { anchor?: string }).anchor;
  if (anchor) {
    const list = anchors.get(anchor) ?? [];
    list.push({ offset: node.range?.[0] ?? 0, node });
    anchors.set(anchor, list);
  }
  if (!isMap(node) && !isSeq(node)) return;
  for (const item of node.items as unknown[]) {
    if (item && typeof item === "object" && "key" in item) {
      const pair = item as { key: YamlNode | null; value: YamlNode | null };
      indexAnchors(anchors, pair.key);
      indexAnchors(anchors, pair.value);
    } else indexAnchors(anchors, item as YamlNode);
  }
}

// go-yaml (and so Helm) refuses an anchor whose value contains an alias to itself; expanding one never ends.
function rejectSelfReferences(source: YamlSource, node: YamlNode | null | undefined, open: Set<unknown>) {
  if (!node) return;
  if (isAlias(node)) {
    if (open.has(resolveNode(source, node))) {
      throw inputError(
        source.position(node.range?.[0] ?? 0),
        `alias *${node.source} refers to the value it is part of`,
        {
          code: "yaml.recursive-alias",
          hint: "An anchor's value cannot contain an alias to the same anchor; Helm rejects it as well.",
        },
      );
    }
    return;
  }
  if (!isMap(node) && !isSeq(node)) return;
  open.add(node);
  for (const item of node.items as unknown[]) {
    if (item && typeof item === "object" && "key" in item) {
      const pair = item as { key: YamlNode | null; value: YamlNode | null };
      rejectSelfReferences(source, pair.key, open);
      rejectSelfReferences(source, pair.value, open);
    } else rejectSelfReferences(source, item as YamlNode, open);
  }
  open.delete(node);
}

function collectComments(
  tokens: unknown[],
  lines: string[],
  lineCol: (offset: number) => { line: number; column: number },
): Map<number, YamlComment> {
  const found = new Map<number, YamlComment>();
  // The concrete syntax tree keeps every comment token with its offset; walk it generically so that no
  // placement (document start, between items, after a block scalar, in flow collections) is missed.
  const visit = (token: unknown) => {
    if (Array.isArray(token)) {
      for (const t of token) visit(t);
      return;
    }
    if (token === null || typeof token !== "object") return;
    const t = token as { type?: string; offset?: number; source?: string };
    if (t.type === "comment" && typeof t.offset === "number" && typeof t.source === "string") {
      const { line, column } = lineCol(t.offset);
      const before = (lines[line] ?? "").slice(0, column);
      found.set(line, {
        line,
        column,
        text: t.source.replace(/^#+ ?/, "").trimEnd(),
        fullLine: before.trim() === "",
      });
      return;
    }
    for (const key in t) {
      const value = (t as Record<string, unknown>)[key];
      if (value !== null && typeof value === "object") visit(value);
    }
  };
  visit(tokens);
  return found;
}

/**
 * The values as Helm hands them to its schema validator: YAML 1.1 scalars resolved, aliases expanded,
 * `!!binary` as the text it encodes (go-yaml v2 decodes it into a Go string).
 */
export function valuesData(source: YamlSource): unknown {
  const convert = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return new TextDecoder().decode(value);
    if (Array.isArray(value)) return value.map(convert);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    }
    return value;
  };
  return convert(source.doc.toJS({ maxAliasCount: 10_000 })) ?? {};
}

/** The node an alias points to, or the node itself. Returns undefined for an alias to nothing. */
export function resolveNode(
  source: YamlSource,
  node: YamlNode | null | undefined,
): YamlNode | null | undefined {
  let current = node;
  for (let depth = 0; current && isAlias(current) && depth < 64; depth++) {
    // An alias refers to the latest definition of its anchor before it (YAML 1.2, section 3.2.2.2).
    const at = current.range?.[0] ?? 0;
    let found: YamlNode | undefined;
    for (const d of source.anchors.get(current.source) ?? []) if (d.offset < at) found = d.node;
    current = found;
  }
  return current;
}

/** The start offset of a node (0 when it has no range, e.g. an empty document). */
export function nodeStart(node: YamlNode | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

/** The 0-based last line holding the node's own content (not trailing comments). */
export function nodeEndLine(
  source: YamlSource,
  node: YamlNode | null | undefined,
  fallbackLine: number,
): number {
  if (!node?.range) return fallbackLine;
  const end = node.range[1];
  if (end <= node.range[0]) return fallbackLine;
  // range[1] points just past the value; step back over the line break and spaces that close a block.
  let offset = end - 1;
  while (offset > node.range[0] && /\s/.test(source.text[offset])) offset--;
  return Math.max(fallbackLine, source.lineCol(offset).line);
}

/** Node kind helpers re-exported for the generator. */
export { isAlias, isMap, isScalar, isSeq };
