// How the metaschema validators of src/schema/metaschemas/ are built (scripts/metaschema_validators.ts): one
// place for the options, so that the generated code and the Ajv fallback judge alike.
import type { Draft } from "./drafts.ts";

/** Ajv options of the metaschema checks: first error only, formats not asserted, unknown keywords allowed. */
export const METASCHEMA_OPTIONS = { strict: false, validateFormats: false, allErrors: false } as const;

/** Per draft: the generated module's file name (in src/schema/metaschemas/) and the metaschema's URI. */
export const METASCHEMAS: Record<Draft, { file: string; uri: string }> = {
  "7": { file: "draft_07.js", uri: "http://json-schema.org/draft-07/schema" },
  "2019-09": { file: "draft_2019_09.js", uri: "https://json-schema.org/draft/2019-09/schema" },
  "2020-12": { file: "draft_2020_12.js", uri: "https://json-schema.org/draft/2020-12/schema" },
};
