// Bad input is a typed error with its documented exit code and a hint, never "internal error ... please
// report it". One table of the cases a hostile review found, run through the real CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../helpers.ts";
import { tempRepo } from "../support/files.ts";

type Case = {
  name: string;
  files: Record<string, string>;
  folders?: string[];
  args: string[];
  code: number;
  message: RegExp;
};

const CHART = "apiVersion: v2\nname: c\nversion: 1.0.0\n";

const CASES: Case[] = [
  {
    name: "Chart.yaml is a folder",
    files: {},
    folders: ["charts/c/Chart.yaml"],
    args: ["schema"],
    code: 5,
    message: /charts\/c\/Chart\.yaml is a folder, not a file/,
  },
  {
    name: "schemas is a regular file",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: 1\n", schemas: "" },
    args: ["schema"],
    code: 5,
    message: /schemas is a file, not a folder/,
  },
  {
    name: "a $ref to an empty YAML file, bundled",
    files: {
      "charts/c/Chart.yaml": CHART,
      "charts/c/values.yaml": "a: 1 # @schema $ref: e.yaml\n",
      "charts/c/e.yaml": "",
    },
    args: ["schema", "--bundle"],
    code: 5,
    message: /e\.yaml is not a JSON Schema \(it holds null\)/,
  },
  {
    name: "an alias inside an annotation",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: &x 1\nb: 2 # @schema default: *x\n" },
    args: ["schema"],
    code: 5,
    message: /values\.yaml:2:16: @schema default: YAML anchors and aliases/,
  },
  {
    name: "validate against a schema holding null",
    files: { "v.yaml": "a: 1\n", "s.json": "null" },
    args: ["schema", "validate", "v.yaml", "--schema", "s.json"],
    code: 5,
    message: /s\.json: not a JSON Schema/,
  },
  {
    name: "validate a values file that is a folder",
    files: { "s.json": "{}" },
    folders: ["v.yaml"],
    args: ["schema", "validate", "v.yaml", "--schema", "s.json"],
    code: 5,
    message: /v\.yaml is a folder, not a file/,
  },
  // From a hostile review: each of these used to be written with exit 0 and break Helm or the repo.
  {
    name: "a config whose output is inside .git",
    files: {
      "cfg.yaml": "values: [charts/c/values.yaml]\noutput: .git/config\n",
      "charts/c/Chart.yaml": CHART,
      "charts/c/values.yaml": "a: 1\n",
    },
    args: ["schema", "--config", "cfg.yaml"],
    code: 5,
    message: /cfg\.yaml:2:1: refusing to write \.git\/config: it is inside the repository's \.git folder/,
  },
  {
    name: "two charts writing the same file",
    files: {
      "charts/c/Chart.yaml": CHART,
      "charts/c/values.yaml": "a: 1\n",
      "charts/c/.schema.yaml": "output: ../d/values.schema.json\n",
      "charts/d/Chart.yaml": CHART.replace("name: c", "name: d"),
      "charts/d/values.yaml": "b: 1\n",
    },
    args: ["schema"],
    code: 5,
    message: /charts\/d\/values\.schema\.json would be written twice/,
  },
  {
    name: "a folder where a schemas/ link goes",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: 1\n" },
    folders: ["schemas/c-values.schema.json"],
    args: ["schema"],
    code: 5,
    message: /refusing to write schemas\/c-values\.schema\.json: a folder is there/,
  },
  {
    name: "a relative file $ref without bundling (Helm resolves it from /)",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: x # @schema $ref: other.json\n" },
    args: ["schema"],
    code: 5,
    message: /values\.yaml:1:16: \$ref: the file reference "other\.json" needs bundling/,
  },
  {
    name: "a $ref that is no URI reference",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: x # @schema $ref: {a: 1}\n" },
    args: ["schema"],
    code: 5,
    message: /\$ref: "\{a: 1\}" is not a URI reference/,
  },
  {
    name: "an $id Helm cannot parse",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: x # @schema $id: '::::'\n" },
    args: ["schema"],
    code: 5,
    message: /\$id: "::::" is not a URI reference/,
  },
  {
    name: "an annotation that rejects the chart's own list",
    files: { "charts/c/Chart.yaml": CHART, "charts/c/values.yaml": "a: [1, 2] # @schema item: string\n" },
    args: ["schema"],
    code: 5,
    message:
      /the generated schema rejects the chart's own values\n\s+charts\/c\/values\.yaml:1:5: a\[0\]: must be of type string/,
  },
];

for (const c of CASES) {
  Deno.test(`typed error: ${c.name} (exit ${c.code})`, async () => {
    await using root = await tempRepo(c.files, "fastcs-typed-");
    for (const f of c.folders ?? []) await Deno.mkdir(join(root.path, f), { recursive: true });
    const r = await cli(c.args, { cwd: root.path });
    assert.equal(r.code, c.code, r.stderr);
    assert.match(r.stderr, c.message);
    assert.match(r.stderr, /^hint: /m);
    assert.doesNotMatch(r.stderr, /internal error|please report|\n\s+at /);
  });
}
