// Keys given twice: values files keep Helm's rule (the last one wins), our own configuration files
// (`uniqueKeys`: .schema.yaml, fastcs.yaml) refuse the second one, naming the key and both places.
import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { parseYamlSource } from "./yaml_source.ts";

const refusal = (text: string) => {
  try {
    parseYamlSource("f.yaml", text, { uniqueKeys: true });
  } catch (error) {
    return error as FastcsError;
  }
  assert.fail(`accepted: ${text}`);
};

Deno.test("a key given twice: the last one wins in a values file, as Helm has it", () => {
  assert.deepEqual(parseYamlSource("values.yaml", "a: 1\na: 2\n").doc.toJS(), { a: 2 });
});

Deno.test("a key given twice in a configuration file: refused at the second, naming the key and the first", () => {
  const nested = refusal("envs:\n  - name: x\n    opts: {k: 1, j: 2, k: 3}\n");
  assert.equal(nested.exitCode, 5);
  assert.equal(
    nested.message,
    "f.yaml:3:24: malformed YAML: the key k is given twice in one mapping (first at line 3, column 12)",
  );
  assert.equal(nested.hint, "Keep one of them: in this file a later key does not replace an earlier one.");
  assert.match(refusal("a: 1\nb:\n  c: 1\n  c: 2\n").message, /^f\.yaml:4:3: .*the key c .*line 3, column 3/);
  // Other syntax errors of a configuration file: no word of values files in the hint.
  assert.equal(refusal("a: [1\n").hint, "Fix the YAML syntax at that position.");
});
