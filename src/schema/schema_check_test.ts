import assert from "node:assert/strict";
import { regexProblem } from "./schema_check.ts";
import { gen } from "./test_support.ts";

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
