// Which comments of a values file belong to which key: `# @schema` annotations (on the key's line, the
// line(s) above, the line(s) below its value) and the description (helm-docs `# --` comments, or the
// plain comment block above).
import { type AnnotationEntry, annotationText, parseAnnotation } from "./annotations.ts";
import type { YamlComment, YamlSource } from "../chart/yaml_source.ts";

/** Where descriptions come from: `auto` (helm-docs `# --` comments, else plain comments above a key),
 * `helm-docs` (only `# --` comments, as helm-values-schema-json's `useHelmDocs`), or `none`. */
export type DescriptionMode = "auto" | "helm-docs" | "none";

/** The annotations and the description that belong to one key. */
export interface Attached {
  annotations: AnnotationEntry[];
  description?: string;
}

function indentOf(line: string | undefined): number {
  if (line === undefined || line.trim() === "") return -1;
  return line.length - line.trimStart().length;
}

/**
 * The comments that belong to a key at (line, column) whose value ends on `endLine` (0-based): the run
 * of full-line comments directly above at the same column, a comment on its line, and the run directly
 * below its value at the same column unless a sibling key follows that run at once.
 *
 * @throws FastcsError (exit code 5) for a malformed annotation among them, at its file:line:column
 */
export function attachedComments(
  source: YamlSource,
  mode: DescriptionMode,
  line: number,
  column: number,
  endLine: number,
  takeSameLine: boolean,
): Attached {
  const { comments, lines } = source;
  const above: YamlComment[] = [];
  for (let l = line - 1; l >= 0; l--) {
    const c = comments.get(l);
    if (!c || !c.fullLine || c.column !== column) break;
    above.unshift(c);
  }
  const same = takeSameLine ? comments.get(line) : undefined;
  const below: YamlComment[] = [];
  let l = endLine + 1;
  for (; l < lines.length; l++) {
    const c = comments.get(l);
    if (!c || !c.fullLine || c.column !== column) break;
    below.push(c);
  }
  // A comment run directly followed by a sibling key is that key's "above" block, not ours.
  const belowIsOurs = below.length > 0 && indentOf(lines[l]) !== column;
  const annotations: AnnotationEntry[] = [];
  const all = [...above, ...(same && !same.fullLine ? [same] : []), ...(belowIsOurs ? below : [])];
  for (const c of all) {
    const text = annotationText(c.text);
    if (text === undefined) continue;
    const lineText = lines[c.line];
    const at = lineText.indexOf("@schema", c.column) + "@schema".length;
    const start = at + (lineText.slice(at).length - lineText.slice(at).trimStart().length);
    const column = [...lineText.slice(0, start)].length + 1; // characters, not UTF-16 units
    annotations.push(...parseAnnotation(text, { file: source.file, line: c.line + 1, column }));
  }
  return {
    annotations,
    description: describe(mode, above, same && !same.fullLine ? same : undefined),
  };
}

// helm-docs' named form: `# key.path -- text`, anywhere in the file (https://github.com/norwoodj/helm-docs).
const NAMED = /^([A-Za-z0-9_][A-Za-z0-9_.\/-]*)\s+--\s?(.*)$/;

/**
 * The helm-docs named descriptions of a values file: `# key.path -- text` comments anywhere, with the full-line
 * comments that directly follow as continuation lines. Keyed by the dotted key path.
 */
export function namedDescriptions(source: YamlSource, mode: DescriptionMode): Map<string, string> {
  const found = new Map<string, string>();
  if (mode === "none") return found;
  for (const c of source.comments.values()) {
    const m = c.fullLine ? NAMED.exec(c.text) : null;
    if (!m) continue;
    const lines = [m[2]];
    for (let l = c.line + 1;; l++) {
      const next = source.comments.get(l);
      if (!next || !next.fullLine || NAMED.test(next.text) || annotationText(next.text) !== undefined) break;
      if (/^@\w+/.test(next.text) || /^--(\s|$)/.test(next.text)) break;
      lines.push(next.text);
    }
    const text = lines.map((t) => t.trimEnd()).join("\n").trim();
    if (text !== "") found.set(m[1], text);
  }
  return found;
}

function describe(
  mode: DescriptionMode,
  above: YamlComment[],
  same: YamlComment | undefined,
): string | undefined {
  if (mode === "none") return undefined;
  // A named helm-docs comment and the lines that continue it describe another key, up to a `# --` line.
  let all = above.map((c) => c.text);
  const firstNamed = all.findIndex((t) => NAMED.test(t));
  if (firstNamed >= 0) {
    const ownDoc = all.findIndex((t, i) => i > firstNamed && /^--(\s|$)/.test(t));
    all = [...all.slice(0, firstNamed), ...(ownDoc >= 0 ? all.slice(ownDoc) : [])];
  }
  const texts = all.filter((t) => annotationText(t) === undefined);
  const docStart = texts.findIndex((t) => /^--(\s|$)/.test(t.replace(/^#+\s*/, "")));
  let lines: string[];
  if (docStart >= 0) {
    // helm-docs: `# -- text` starts the description; following comment lines continue it; `# @default --`
    // and other helm-docs `@` lines are not part of it (https://github.com/norwoodj/helm-docs).
    lines = texts.slice(docStart).filter((t) => !/^@\w+/.test(t.replace(/^#+\s*/, "")));
    lines[0] = lines[0].replace(/^#*\s*--\s?/, "").replace(/^\((\w+)\)\s*/, "");
  } else if (mode === "auto") {
    lines = texts.filter((t) => !/^@\w+/.test(t.replace(/^#+\s*/, "")));
  } else return undefined;
  let text = lines.map((t) => t.replace(/^#+\s?/, "").trimEnd()).join("\n").trim();
  if (text === "" && mode === "auto" && same && annotationText(same.text) === undefined) {
    text = same.text.trim();
  }
  if (/^[-#=*\s]*$/.test(text)) return undefined;
  return text;
}
