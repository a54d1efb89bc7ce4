// The few Ajv runtime helpers that the precompiled metaschema validators (src/schema/metaschemas/, written
// by scripts/metaschema_validators.ts) call: loading these small modules instead of Ajv itself is what makes
// those validators cheap to start. See src/deps/cli.ts for why one file per library.
import equalModule from "ajv/dist/runtime/equal.js";

/** Ajv's deep equality of JSON values (fast-deep-equal), as its `enum`, `const` and `uniqueItems` use it. */
// deno-lint-ignore no-explicit-any
export const equal: (a: unknown, b: unknown) => boolean = (equalModule as any).default ?? equalModule;
