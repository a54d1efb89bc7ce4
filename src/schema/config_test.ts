import assert from "node:assert/strict";
import { join } from "node:path";
import type { FastcsError } from "../runtime/errors.ts";
import { loadConfig } from "./config.ts";

async function tree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "fastcs-config-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return root;
}

const display = (p: string) => p;
const options = { display, warn: () => {} };

Deno.test("a helm-values-schema-json .schema.yaml is read as is", async () => {
  const root = await tree({
    "c/.schema.yaml": [
      "values: [values.yaml, extra.yaml]",
      "draft: 7",
      "indent: 2",
      "useHelmDocs: true",
      "noAdditionalProperties: true",
      "k8sSchemaVersion: v1.33.1",
      "bundle: true",
      "bundleRoot: ..",
      "bundleWithoutID: true",
      "bundleCacheMin: 24h",
      "output: out.json",
      "schemaRoot: {title: T, additionalProperties: true}",
    ].join("\n"),
  });
  const c = await loadConfig(join(root, "c"), root, options);
  assert.deepEqual(c.values, ["values.yaml", "extra.yaml"]);
  assert.equal(c.draft, "7");
  assert.equal(c.indent, 2);
  assert.equal(c.descriptions, "helm-docs");
  assert.equal(c.noAdditionalProperties, true);
  assert.equal(c.k8sSchemaVersion, "v1.33.1");
  assert.deepEqual([c.bundle, c.bundleRoot, c.bundleWithoutID, c.output], [true, "..", true, "out.json"]);
  assert.deepEqual(c.schemaRoot, { title: "T", additionalProperties: true });
});

Deno.test("the chart's config wins over the repo root's; defaults without either", async () => {
  const root = await tree({
    ".schema.yaml": "indent: 8\n",
    "a/.schema.yaml": "indent: 2\n",
    "b/Chart.yaml": "",
  });
  assert.equal((await loadConfig(join(root, "a"), root, options)).indent, 2);
  assert.equal((await loadConfig(join(root, "b"), root, options)).indent, 8);
  const bare = await tree({});
  const d = await loadConfig(bare, bare, options);
  assert.deepEqual([d.draft, d.indent, d.values, d.descriptions], ["2020-12", 4, ["values.yaml"], "auto"]);
});

Deno.test("bad config: every problem located, unknown keys warnings (errors with strict), draft 4 refused", async () => {
  const root = await tree({ ".schema.yaml": "indent: 3\nvaluse: [a.yaml]\n" });
  await assert.rejects(loadConfig(root, root, { ...options, strict: true }), (e: FastcsError) => {
    assert.equal(e.exitCode, 5);
    assert.equal(e.details.length, 2);
    assert.match(e.details[0], /\.schema\.yaml:1:9: indent: must be multiple of 2/);
    assert.match(e.details[1], /\.schema\.yaml:2:1: unknown key "valuse"/);
    return true;
  });
  // As helm-values-schema-json: an unknown key alone is a warning, and the rest of the file applies.
  const warnings: string[] = [];
  const lax = await tree({ ".schema.yaml": "indent: 2\nvaluse: [a.yaml]\n" });
  const c = await loadConfig(lax, lax, { display, warn: (m) => warnings.push(m) });
  assert.equal(c.indent, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /\.schema\.yaml:2:1: unknown key "valuse".*\(ignored\)/);
  await assert.rejects(loadConfig(lax, lax, { ...options, strict: true }), /invalid schema configuration/);
  const four = await tree({ ".schema.yaml": "draft: 4\n" });
  await assert.rejects(loadConfig(four, four, options), /draft 4 is not supported/);
});

Deno.test("a repo-root helm-values-schema-json config names one chart's files from the root", async () => {
  const root = await tree({
    ".schema.yaml":
      "values: [charts/lib/values.yaml]\noutput: charts/lib/lib.schema.json\nuseHelmDocs: false\n",
    "charts/lib/values.yaml": "a: 1\n",
    "charts/other/values.yaml": "b: 1\n",
  });
  const lib = await loadConfig(join(root, "charts/lib"), root, options);
  assert.equal(lib.baseDir, root);
  assert.equal(lib.output, "charts/lib/lib.schema.json");
  assert.equal(lib.descriptions, "none", "as that tool: descriptions from comments only with useHelmDocs");
  assert.deepEqual(lib.outputAt, { file: join(root, ".schema.yaml"), line: 2, column: 1 });
  const other = await loadConfig(join(root, "charts/other"), root, options);
  assert.deepEqual([other.baseDir, other.file, other.output], [
    join(root, "charts/other"),
    undefined,
    "values.schema.json",
  ]);
});

Deno.test("a key given twice in .schema.yaml is refused at its second place (go-yaml v3 refuses it too)", async () => {
  const root = await tree({ "c/.schema.yaml": "draft: 7\nindent: 2\ndraft: 2020\n" });
  const error = await loadConfig(join(root, "c"), root, options).then(
    () => undefined,
    (e) => e as FastcsError,
  );
  assert.ok(error, "refused");
  assert.equal(error.exitCode, 5);
  assert.match(
    error.message,
    /c\/\.schema\.yaml:3:1: malformed YAML: the key draft is given twice in one mapping \(first at line 1, column 1\)$/,
  );
});
