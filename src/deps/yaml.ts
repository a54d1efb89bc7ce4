// YAML with positions and comments (the `yaml` package). See src/deps/cli.ts for why one file per library.
import process from "node:process";
import { parseAllDocuments as parseAllDocumentsOf, parseDocument as parseDocumentOf, Parser } from "yaml";
import type { CST } from "yaml";

export {
  Composer,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  stringify as stringifyYaml,
} from "yaml";
export type { Alias, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";

// The library's parser reads `process.env.LOG_TOKENS` (a debugging switch of its own) for every token. Under
// Deno each read of `process.env` is a call into the runtime, about a microsecond: a third of parsing a
// 6,000-line values file. While it parses (synchronously, so nothing else runs), `process.env` is a plain
// empty object; the real one is back before anything else can look.
function withPlainEnv<T>(parse: () => T): T {
  const env = Object.getOwnPropertyDescriptor(process, "env");
  if (!env?.configurable) return parse();
  // A data property in its place, whether Deno's is one or an accessor.
  Object.defineProperty(process, "env", {
    configurable: true,
    enumerable: env.enumerable,
    writable: true,
    value: {},
  });
  try {
    return parse();
  } finally {
    Object.defineProperty(process, "env", env);
  }
}

/** The library's `parseDocument` (one YAML document with positions, `toJS()` for the data). */
export const parseDocument: typeof parseDocumentOf =
  ((...args: Parameters<typeof parseDocumentOf>) =>
    withPlainEnv(() => parseDocumentOf(...args))) as typeof parseDocumentOf;

/** The library's `parseAllDocuments` (every document of a multi-document stream). */
export const parseAllDocuments: typeof parseAllDocumentsOf =
  ((...args: Parameters<typeof parseAllDocumentsOf>) =>
    withPlainEnv(() => parseAllDocumentsOf(...args))) as typeof parseAllDocumentsOf;

/**
 * The concrete syntax tree of `text` (every token, comments included, with offsets), as the library's
 * `Parser` yields it; `onNewLine` is called with the offset of each line start (a `LineCounter`'s).
 *
 * @throws RangeError when the nesting is too deep for the stack
 */
export function parseTokens(text: string, onNewLine?: (offset: number) => void): CST.Token[] {
  return withPlainEnv(() => Array.from(new Parser(onNewLine).parse(text)));
}
