// Robustness on large, awkward values files: never a crash, and every generated schema accepts the values
// file it was generated from, under an independent validator (Ajv) and under the real Helm 3 and 4.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FastcsError } from "../../src/runtime/errors.ts";
import { compileSchema, validateSource } from "../../src/chart/validate.ts";
import { gen } from "../../src/schema/test_support.ts";
import { parseYamlSource } from "../../src/chart/yaml_source.ts";
import { cli, run, tool } from "../helpers.ts";
import { tempDir } from "../support/files.ts";
import { awkwardValues } from "../support/values_corpus.ts";

async function selfValid(text: string, noAdditionalProperties: boolean) {
  const schema = gen(text, { noAdditionalProperties });
  const validate = await compileSchema(schema, "generated", "file:///");
  return validateSource(parseYamlSource("values.yaml", text), validate);
}

Deno.test("120 random awkward values files: generated schemas accept their own values", async () => {
  for (let seed = 1; seed <= 120; seed++) {
    const text = awkwardValues(40 + (seed % 7) * 20, seed);
    for (const closed of [false, true]) {
      const problems = await selfValid(text, closed);
      assert.deepEqual(problems, [], `seed ${seed} closed=${closed}\n${text}`);
    }
  }
});

Deno.test("odd inputs give a located error or a schema, never a crash", async () => {
  const inputs = [
    "",
    "\n\n",
    "# only comments\n",
    "---\n",
    "~\n",
    "a: !!binary aGVsbG8=\n",
    "? [complex, key]\n: 1\n",
    "a: &x\n  b: *x\n",
    "a: 1\na: 2\n",
    "'': empty key\n",
    "a:\n  - - nested\n    - list\n",
    "a: [1, {b: 2}, [3]]\n",
    "x: 1 # @schema\n",
    "\t\ta: 1\n",
  ];
  for (const text of inputs) {
    try {
      const problems = await selfValid(text, true);
      assert.deepEqual(problems, [], JSON.stringify(text));
    } catch (error) {
      assert.ok(error instanceof FastcsError, `${JSON.stringify(text)}: ${error}`);
      assert.match(error.message, /^values\.yaml:\d+:\d+: /);
    }
  }
});

Deno.test("a 6,000-line values file: the schema from helm fastcs schema passes helm lint under Helm 3 and 4", async () => {
  await using dir = await tempDir();
  const chart = join(dir.path, "charts", "big");
  await Deno.mkdir(join(chart, "templates"), { recursive: true });
  await Deno.writeTextFile(join(chart, "Chart.yaml"), "apiVersion: v2\nname: big\nversion: 1.0.0\n");
  await Deno.writeTextFile(join(chart, ".schema.yaml"), "noAdditionalProperties: true\n");
  const text = awkwardValues(6000, 42);
  assert.ok(text.split("\n").length >= 6000);
  await Deno.writeTextFile(join(chart, "values.yaml"), text);
  await Deno.writeTextFile(
    join(chart, "templates", "cm.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n",
  );
  const r = await cli(["schema"], { cwd: dir.path });
  assert.equal(r.code, 0, r.stderr);
  for (const helm of ["helm3", "helm4"] as const) {
    const lint = await run(tool(helm), ["lint", chart]);
    assert.equal(lint.code, 0, `${helm}: ${lint.stdout}${lint.stderr}`);
    const broken = await run(tool(helm), ["lint", chart, "--set", "section0.definitelyNotAKey=1"]);
    assert.notEqual(broken.code, 0, `${helm} must reject an unknown key under a closed schema`);
  }
});
