// An interpreting JSON Schema validator (@cfworker/json-schema, ES modules, no code generation): judging
// values once costs a walk of the schema and the values, where Ajv first generates and compiles code for
// the whole schema. See src/deps/cli.ts for why one file per library.
export { dereference, format as knownFormats, validate as interpret } from "@cfworker/json-schema";
export type { Schema as InterpretedSchema, SchemaDraft } from "@cfworker/json-schema";
