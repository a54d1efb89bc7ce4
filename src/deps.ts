// Every third-party dependency enters the project here, so that swapping a library is a one-line change.
export { Command, CommanderError, Option } from "@commander-js/extra-typings";
export {
  Composer,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Parser,
  stringify as stringifyYaml,
} from "yaml";
export type { Alias, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
export { Ajv2020 } from "ajv/dist/2020.js";
export { Ajv2019 } from "ajv/dist/2019.js";
export { Ajv as AjvDraft7 } from "ajv";
export type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/** ajv-formats' CommonJS default export, unwrapped: `addFormats(ajv)` adds the JSON Schema `format`s. */
// deno-lint-ignore no-explicit-any
export const addFormats: (ajv: any) => unknown = (addFormatsModule as any).default ?? addFormatsModule;
