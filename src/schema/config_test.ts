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
  const c = await loadConfig(join(root, "c"), root, display);
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
  assert.equal((await loadConfig(join(root, "a"), root, display)).indent, 2);
  assert.equal((await loadConfig(join(root, "b"), root, display)).indent, 8);
  const bare = await tree({});
  const d = await loadConfig(bare, bare, display);
  assert.deepEqual([d.draft, d.indent, d.values, d.descriptions], ["2020-12", 4, ["values.yaml"], "auto"]);
});

Deno.test("bad config: every problem located, draft 4 refused", async () => {
  const root = await tree({ ".schema.yaml": "indent: 3\nvaluse: [a.yaml]\n" });
  await assert.rejects(loadConfig(root, root, display), (e: FastcsError) => {
    assert.equal(e.exitCode, 5);
    assert.equal(e.details.length, 2);
    assert.match(e.details[0], /\.schema\.yaml:1:9: indent: must be multiple of 2/);
    assert.match(e.details[1], /\.schema\.yaml:2:1: unknown key "valuse"/);
    return true;
  });
  const four = await tree({ ".schema.yaml": "draft: 4\n" });
  await assert.rejects(loadConfig(four, four, display), /draft 4 is not supported/);
});
