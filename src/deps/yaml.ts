// YAML with positions and comments (the `yaml` package). See src/deps/cli.ts for why one file per library.
export {
  Composer,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  Parser,
  stringify as stringifyYaml,
} from "yaml";
export type { Alias, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
