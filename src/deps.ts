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
  parseAllDocuments,
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

// @ts-types="npm:@types/semver@7.8.0"
import semverModule from "semver";
/** The SemVer 2.0.0 implementation npm uses (https://semver.org). */
export const semver = semverModule;
// @ts-types="npm:@types/tar-stream@3.1.5"
export { extract as tarExtract } from "tar-stream";
export { default as pLimit } from "p-limit";
export { createTwoFilesPatch, structuredPatch } from "diff";
