import assert from "node:assert/strict";
import { FastcsError } from "../runtime/errors.ts";
import { annotationText, KEYWORDS, parseAnnotation } from "./annotations.ts";

const at = { file: "values.yaml", line: 3, column: 10 };

Deno.test("annotationText needs a space after @schema", () => {
  assert.equal(annotationText("@schema minimum: 1"), "minimum: 1");
  assert.equal(annotationText("# @schema type: string"), "type: string");
  assert.equal(annotationText("@schemaminimum: 1"), undefined);
  assert.equal(annotationText("plain comment"), undefined);
});

Deno.test("entries split on ; outside brackets, braces and quotes", () => {
  const entries = parseAnnotation(
    `pattern: ^[a;b]$; allOf: [{"type": "string"}, {"minLength": 2}]; title: a`,
    at,
  );
  assert.deepEqual(entries.map((e) => [e.keyword, e.value]), [
    ["pattern", "^[a;b]$"],
    ["allOf", [{ type: "string" }, { minLength: 2 }]],
    ["title", "a"],
  ]);
});

Deno.test("each value kind is read as its keyword expects", () => {
  const read = (text: string) => parseAnnotation(text, at)[0].value;
  assert.equal(read("maxLength: 10"), 10);
  assert.equal(read("minimum: -1.5"), -1.5);
  assert.equal(read("uniqueItems"), true);
  assert.equal(read("readOnly: false"), false);
  assert.deepEqual(read("type: [integer, null]"), ["integer", "null"]);
  assert.deepEqual(read("type: integer, null"), ["integer", "null"]);
  assert.equal(read("type: string"), "string");
  assert.deepEqual(read("enum: [ClusterIP, 1, null]"), ["ClusterIP", 1, null]);
  assert.deepEqual(read('enum: a, null, "b,c"'), ["a", null, "b,c"]);
  assert.deepEqual(read('default: {"a": [1, 2]}'), { a: [1, 2] });
  assert.deepEqual(read("additionalProperties: false"), false);
  assert.equal(read("additionalProperties"), true);
  assert.deepEqual(read("patternProperties: {^x-: {type: string}}"), { "^x-": { type: "string" } });
  assert.deepEqual(read("itemRequired: [name, port]"), ["name", "port"]);
  assert.equal(read("$ref: '#/$defs/port'"), "#/$defs/port");
  assert.equal(read('title: "a; b"'), "a; b");
  assert.equal(read("pattern: ^it's$"), "^it's$");
});

Deno.test("every keyword of helm-values-schema-json is accepted", () => {
  const theirs = [
    "type",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "item",
    "itemProperties",
    "itemEnum",
    "itemRef",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "minProperties",
    "maxProperties",
    "title",
    "description",
    "examples",
    "default",
    "readOnly",
    "deprecated",
    "$id",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "hidden",
    "skipProperties",
    "mergeProperties",
    "nullable",
    "itemRequired",
  ];
  for (const k of theirs) assert.ok(k in KEYWORDS, k);
});

function throwsAt(text: string, column: number, pattern: RegExp) {
  assert.throws(() => parseAnnotation(text, at), (e: unknown) => {
    assert.ok(e instanceof FastcsError);
    assert.match(e.message, new RegExp(`^values\\.yaml:3:${column}: `));
    assert.match(e.message + " " + (e.hint ?? ""), pattern);
    assert.equal(e.exitCode, 5);
    return true;
  });
}

Deno.test("an unknown keyword is an error at its column, with a suggestion", () => {
  throwsAt("minimum: 1; maxLenght: 3", 22, /unknown @schema keyword "maxLenght".*Did you mean "maxLength"/);
  throwsAt("MinLength: 3", 10, /Did you mean "minLength"/);
});

Deno.test("malformed values are errors naming the keyword", () => {
  throwsAt("maxLength: -1", 10, /maxLength.*non-negative integer/);
  throwsAt("multipleOf: 0", 10, /greater than 0/);
  throwsAt("type: strin", 10, /JSON Schema types/);
  throwsAt("readOnly: yes", 10, /true or false/);
  throwsAt("allOf: {type: string}", 10, /non-empty list/);
  throwsAt("default: {a: [1,", 10, /cannot read value/);
  throwsAt("pattern:", 10, /non-empty string/);
});
