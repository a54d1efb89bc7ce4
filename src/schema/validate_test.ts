import assert from "node:assert/strict";
import { acceptsLayers, compileSchema, formatProblems, validateSource } from "../chart/validate.ts";
import { gen } from "./test_support.ts";
import { parseYamlSource } from "../chart/yaml_source.ts";

const chartValues = [
  "image:",
  "  repository: nginx # @schema minLength: 1",
  "  tag: '1.0'",
  "  pullPolicy: IfNotPresent # @schema enum: [Always, IfNotPresent, Never]",
  "ports: [] # @schema item: object; itemProperties: {port: {type: integer}}; itemRequired: [port]",
  "replicas: 1 # @schema required",
].join("\n");

async function problemsOf(values: string) {
  const schema = gen(chartValues, { noAdditionalProperties: true });
  const validate = await compileSchema(schema, "schema", "file:///");
  return formatProblems(validateSource(parseYamlSource("override.yaml", values), validate));
}

Deno.test("the values file a schema was generated from is valid", async () => {
  assert.deepEqual(await problemsOf(chartValues), []);
});

Deno.test("every error is reported at once with file:line:column and the value's path", async () => {
  const problems = await problemsOf([
    "image:",
    "  repository: ''",
    "  tga: x",
    "  pullPolicy: Sometimes",
    "ports:",
    "  - port: http",
    "  - name: x",
    "replicas: many",
  ].join("\n"));
  assert.deepEqual(problems.map((p) => p.replace(/ \[schema .*\]$/, "")), [
    "override.yaml:2:15: image.repository: must NOT have fewer than 1 characters",
    `override.yaml:3:3: image: unknown key "tga" (the schema does not allow it here; check its spelling)`,
    `override.yaml:4:15: image.pullPolicy: must be one of: "Always", "IfNotPresent", "Never"`,
    "override.yaml:6:11: ports[0].port: must be of type integer",
    `override.yaml:7:5: ports[1]: missing required key "port"`,
    "override.yaml:8:11: replicas: must be of type integer",
  ]);
});

Deno.test("a missing required key is reported at its parent", async () => {
  const problems = await problemsOf("image:\n  tag: x\n");
  assert.deepEqual(problems.map((p) => p.replace(/ \[schema .*\]$/, "")), [
    `override.yaml:1:1: missing required key "replicas"`,
  ]);
});

Deno.test("values reached through aliases and merge keys are located in the file", async () => {
  const problems = await problemsOf("base: &b\n  replicas: x\nimage:\n  <<: {tag: 1}\nreplicas: 1\n");
  assert.ok(problems.some((p) => p.startsWith(`override.yaml:1:1: unknown key "base"`)), problems.join("\n"));
});

Deno.test("schemas of every generated draft validate, each with its own rules", async () => {
  for (const draft of ["7", "2019-09", "2020-12"] as const) {
    const schema = gen("r: # @schema $ref: https://e.com/port.json\n  port: 1\n", {
      draft,
      noAdditionalProperties: true,
    });
    const validate = await compileSchema(schema, "schema", "file:///", (url) => {
      assert.equal(url, "https://e.com/port.json");
      return Promise.resolve({ type: "object", properties: { port: { type: "integer" } } });
    });
    const problems = (text: string) => validateSource(parseYamlSource("v.yaml", text), validate).length;
    assert.equal(problems("r:\n  port: 2\n"), 0, draft);
    assert.ok(problems("r:\n  port: x\n") > 0, draft);
    assert.ok(problems("r:\n  prot: 2\n") > 0, `${draft}: a closed object beside $ref still rejects typos`);
  }
});

Deno.test("the interpreting pre-check of a chart's own values agrees with Ajv, or leaves the verdict to it", async () => {
  const standIn = () => ({ definitions: { X: {} } });
  const cases: { name: string; schema: Record<string, unknown>; values: string; interpreted: boolean }[] = [
    {
      name: "accepted",
      schema: { properties: { a: { type: "integer" } } },
      values: "a: 1",
      interpreted: true,
    },
    {
      name: "wrong type",
      schema: { properties: { a: { type: "integer" } } },
      values: "a: x",
      interpreted: true,
    },
    {
      name: "closed through allOf and $ref, unknown key",
      schema: {
        $defs: { base: { properties: { a: {} } } },
        allOf: [{ $ref: "#/$defs/base" }],
        unevaluatedProperties: false,
      },
      values: "a: 1\nb: 2",
      interpreted: true,
    },
    {
      name: "a $ref into a document not embedded",
      schema: { properties: { s: { $ref: "https://example.org/defs.json#/definitions/X" } } },
      values: "s: {any: thing}",
      interpreted: true,
    },
    {
      name: "enum of 2019-09",
      schema: { $schema: "https://json-schema.org/draft/2019-09/schema", properties: { p: { enum: ["A"] } } },
      values: "p: B",
      interpreted: true,
    },
    // Left to Ajv whatever the values: the two validators could judge these differently.
    {
      name: "format",
      schema: { properties: { m: { type: "string", format: "email" } } },
      values: "m: a@b.org",
      interpreted: false,
    },
    {
      name: "an integer multipleOf",
      schema: { properties: { n: { multipleOf: 2 } } },
      values: "n: 3",
      interpreted: true,
    },
    {
      name: "a fractional multipleOf",
      schema: { properties: { n: { multipleOf: 0.1 } } },
      values: "n: 0.3",
      interpreted: false,
    },
    {
      name: "draft 7",
      schema: { $schema: "http://json-schema.org/draft-07/schema#" },
      values: "a: 1",
      interpreted: false,
    },
  ];
  for (const c of cases) {
    const source = parseYamlSource("values.yaml", c.values + "\n");
    const validate = await compileSchema(
      c.schema,
      "schema",
      "file:///",
      () => Promise.resolve(standIn()),
    );
    const ajvAccepts = validateSource(source, validate).length === 0;
    const accepted = acceptsLayers(c.schema, [source], standIn);
    assert.equal(accepted, c.interpreted && ajvAccepts, c.name);
  }
  // The schema handed in is not changed (the interpreter annotates a copy).
  const schema = { properties: { s: { $ref: "https://example.org/defs.json#/definitions/X" } } };
  acceptsLayers(schema, [parseYamlSource("values.yaml", "s: 1\n")], standIn);
  assert.deepEqual(schema, { properties: { s: { $ref: "https://example.org/defs.json#/definitions/X" } } });
});
