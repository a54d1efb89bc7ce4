import assert from "node:assert/strict";
import { join } from "node:path";
import { checkSchemaDocument, regexProblem } from "./schema_check.ts";
import { gen } from "./test_support.ts";
import { METASCHEMA_OPTIONS } from "./metaschema_options.ts";
import { Ajv2019, Ajv2020, AjvDraft7 } from "../deps/ajv.ts";
import { metaschemaModules, METASCHEMAS_DIR } from "../../scripts/metaschema_validators.ts";

const fails = (yaml: string, message: RegExp, options = {}) =>
  assert.throws(() => gen(yaml, options), message);

Deno.test("a regular expression Helm cannot compile is an error at the annotation", () => {
  fails("a: x # @schema pattern: '[a-'\n", /values\.yaml:1:16: pattern: regular expression "\[a-": .*/);
  fails("a: x # @schema pattern: ^(?!tmp).*$\n", /values\.yaml:1:16: .*look-ahead.*RE2/);
  fails("a: {} # @schema patternProperties: {'(a)\\1': {}}\n", /values\.yaml:1:17: .*back-references/);
  assert.equal(regexProblem("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), undefined);
  assert.equal(regexProblem("^\\\\1$"), undefined, "an escaped backslash before 1 is no back-reference");
});

Deno.test("a value that is not valid for its keyword is an error at the annotation", () => {
  fails(
    "l: [] # @schema itemProperties: {name: 5}\n",
    /values\.yaml:1:17: itemProperties: not a valid value.*/,
  );
  fails("o: {} # @schema dependentRequired: {a: 1}\n", /values\.yaml:1:17: dependentRequired: not a valid/);
});

Deno.test("a local $ref must point at something, and $refs must not chase each other forever", () => {
  fails(
    "a: 1 # @schema $ref: '#/properties/nope'\n",
    /values\.yaml:1:16: \$ref "#\/properties\/nope" points at nothing/,
  );
  fails(
    "a: 1 # @schema $ref: '#/properties/b'\nb: 1 # @schema $ref: '#/properties/a'\n",
    /values\.yaml:1:16: \$ref "#\/properties\/b" is part of a cycle/,
  );
  // A recursive schema that consumes a value on each step is fine.
  const tree = gen("node:\n  children: [] # @schema item: object; itemRef: '#/properties/node'\n");
  assert.ok(tree.properties);
  // So is a $ref to a sibling that exists, in every draft.
  for (const draft of ["7", "2019-09", "2020-12"] as const) {
    gen("a:\n  x: 1\nb: # @schema $ref: '#/properties/a'\n  x: 2\n", { draft, noAdditionalProperties: true });
  }
});

Deno.test("the precompiled metaschema validators are what the pinned Ajv generates", async () => {
  for (const [file, content] of metaschemaModules()) {
    assert.equal(
      await Deno.readTextFile(join(METASCHEMAS_DIR, file)),
      content,
      `src/schema/metaschemas/${file} is stale: run deno run -A scripts/metaschema_validators.ts`,
    );
  }
});

Deno.test("the precompiled metaschema validators judge and word as Ajv does, in every draft", async () => {
  const fragments: unknown[] = [
    { type: "string", minLength: 1 },
    { type: "strin" },
    { type: ["string", "string"] },
    { properties: { a: { minLength: -1 } } },
    { items: { properties: { a: { type: 5 } } } }, // nested: the metaschema's dynamic/recursive reference
    { properties: { a: { properties: { b: { additionalProperties: { maximum: "x" } } } } } },
    { allOf: [{ not: { enum: 3 } }] },
    { required: [1] },
    { $ref: 5 },
    { dependentSchemas: { a: { minimum: "1" } } },
    { prefixItems: [{ type: "x" }] },
    { $defs: { x: { pattern: 5 } }, definitions: { y: { type: "nope" } } },
  ];
  // A whole generated document names its draft in `$schema`, which Ajv looks up: only in its own draft.
  const fastcs = JSON.parse(
    await Deno.readTextFile(new URL("../../charts/fastcs/values.schema.json", import.meta.url)),
  );
  const ajvs = {
    "7": new AjvDraft7(METASCHEMA_OPTIONS),
    "2019-09": new Ajv2019(METASCHEMA_OPTIONS),
    "2020-12": new Ajv2020(METASCHEMA_OPTIONS),
  } as const;
  let rejected = 0;
  for (
    const [draft, ajv] of Object.entries(ajvs) as [keyof typeof ajvs, (typeof ajvs)[keyof typeof ajvs]][]
  ) {
    for (const fragment of draft === "2020-12" ? [...fragments, fastcs] : fragments) {
      const ajvValid = ajv.validateSchema(fragment as object) === true;
      const expected = ajvValid
        ? undefined
        : `: the generated schema is not valid JSON Schema ${draft}: ${ajv.errorsText()}`;
      let got: string | undefined;
      try {
        checkSchemaDocument(fragment as Record<string, unknown>, draft, "", new Map());
      } catch (error) {
        got = (error as Error).message;
        if (!got.includes("not valid JSON Schema")) got = undefined; // a $ref problem, not the metaschema's
      }
      if (!ajvValid) rejected++;
      assert.equal(got, expected, `draft ${draft}: ${JSON.stringify(fragment).slice(0, 80)}`);
    }
  }
  assert.ok(rejected >= 25, `only ${rejected} rejections compared`);
});
