// JSON Schema validation (Ajv, drafts 7, 2019-09 and 2020-12, with ajv-formats). See src/deps/cli.ts for why
// one file per library.
export { Ajv2020 } from "ajv/dist/2020.js";
export { Ajv2019 } from "ajv/dist/2019.js";
export { Ajv as AjvDraft7 } from "ajv";
export type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/** ajv-formats' CommonJS default export, unwrapped: `addFormats(ajv)` adds the JSON Schema `format`s. */
// deno-lint-ignore no-explicit-any
export const addFormats: (ajv: any) => unknown = (addFormatsModule as any).default ?? addFormatsModule;
