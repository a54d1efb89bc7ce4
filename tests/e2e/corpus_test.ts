// `helm fastcs schema` on the world's charts (../shared/corpus): a generated schema never rejects a values
// file that the chart's maintainers ship and that renders without it, under the real Helm 3 and Helm 4,
// and never breaks `helm lint`. Charts whose dependencies come from remote repositories cannot be built
// offline and are counted, not checked.
import assert from "node:assert/strict";
import { join } from "node:path";
import { acceptsLayers, compileSchema, validateLayers } from "../../src/chart/validate.ts";
import { parseYamlSource, type YamlSource } from "../../src/chart/yaml_source.ts";
import { standInDocument } from "../../src/schema/schema_check.ts";
import { checkCorpus, corpusDir } from "../support/corpus.ts";
import { cli, run } from "../helpers.ts";
import { tempDir } from "../support/files.ts";

Deno.test("corpus: every maintainer's override that renders without our schema renders with it (Helm 3 and 4)", async () => {
  try {
    await Deno.stat(corpusDir());
  } catch {
    throw new Error(`the chart corpus is missing at ${corpusDir()} (set FASTCS_CORPUS to its folder)`);
  }
  const charts = await checkCorpus();
  const checked = charts.filter((c) => !c.skipped);
  // The corpus is real data: make sure the test is not passing on an empty or unreadable one.
  assert.ok(checked.length >= 10, `only ${checked.length} corpus charts could be checked`);
  const rendered = checked.reduce((n, c) => n + (c.helm.helm4?.renderedWithout.length ?? 0), 0);
  assert.ok(rendered >= 30, `only ${rendered} values files rendered without a schema`);
  const problems: string[] = [];
  for (const c of checked) {
    if (c.generated.code !== 0) {
      problems.push(`${c.id}: generation exit ${c.generated.code}: ${c.generated.stderr}`);
    }
    for (const [helm, r] of Object.entries(c.helm)) {
      for (const f of r.failedWith) problems.push(`${helm} ${c.id} ${f.file}: ${f.error}`);
    }
    for (const [helm, error] of Object.entries(c.lintBroken)) {
      if (error !== undefined) problems.push(`${helm} lint ${c.id}: ${error}`);
    }
  }
  assert.deepEqual(problems, []);
});

// The own-values check of `schema` trusts the interpreting validator's "valid" without asking Ajv
// (acceptsLayers in src/chart/validate.ts). On real schemas and real values it must never accept what Ajv
// rejects: every generated corpus schema, as generated and closed at its root, against every corpus chart's
// values.yaml and each ci/ override layered over it.
Deno.test("corpus: the interpreting pre-check never accepts values that Ajv rejects", async () => {
  await using work = await tempDir("fastcs-corpus-");
  const root = corpusDir();
  const charts: { id: string; dir: string }[] = [];
  for await (const repoEntry of Deno.readDir(root)) {
    const chartsRoot = join(root, repoEntry.name, "charts");
    if (!repoEntry.isDirectory || !(await Deno.stat(chartsRoot).catch(() => null))) continue;
    const repo = join(work.path, repoEntry.name);
    await Deno.mkdir(join(repo, "charts"), { recursive: true });
    await run("git", ["init", "-q", repo]);
    for await (const c of Deno.readDir(chartsRoot)) {
      const source = join(chartsRoot, c.name);
      if (!(await Deno.stat(join(source, "Chart.yaml")).catch(() => null))) continue;
      const dir = join(repo, "charts", c.name);
      const cp = await run("cp", ["-a", source, dir]);
      assert.equal(cp.code, 0, cp.stderr);
      await Deno.remove(join(dir, "values.schema.json")).catch(() => {});
      charts.push({ id: `${repoEntry.name}/${c.name}`, dir });
    }
    // loki's annotations use $k8s/ refs: a version names them (nothing is fetched without bundling).
    const g = await cli(["schema", "--no-schemas", "--k8s-schema-version", "v1.33.1"], { cwd: repo });
    assert.equal(g.code, 0, g.stderr);
  }
  const layerSets: YamlSource[][] = [];
  for (const c of charts) {
    const base = parseYamlSource("values.yaml", await Deno.readTextFile(join(c.dir, "values.yaml")));
    layerSets.push([base]);
    const ci = await Array.fromAsync(Deno.readDir(join(c.dir, "ci"))).catch(() => []);
    for (const e of ci) {
      if (!/\.ya?ml$/.test(e.name)) continue;
      try {
        layerSets.push([base, parseYamlSource(e.name, await Deno.readTextFile(join(c.dir, "ci", e.name)))]);
      } catch { /* an override that is no valid values file is the parser's business, not this test's */ }
    }
  }
  let rejected = 0;
  const wrong: string[] = [];
  for (const c of charts) {
    const generated = JSON.parse(await Deno.readTextFile(join(c.dir, "values.schema.json")));
    for (const schema of [generated, { ...generated, unevaluatedProperties: false }]) {
      const standIn = (url: string) => standInDocument(schema, url, "file:///");
      const validate = await compileSchema(schema, c.id, "file:///", (url) => Promise.resolve(standIn(url)));
      for (const layers of layerSets) {
        const ajvAccepts = validateLayers(layers, validate).length === 0;
        if (!ajvAccepts) rejected++;
        if (acceptsLayers(schema, layers, standIn) && !ajvAccepts) {
          wrong.push(
            `${c.id}${schema === generated ? "" : " (closed)"}: ${layers.map((l) => l.file).join(" + ")}`,
          );
        }
      }
    }
  }
  assert.ok(
    charts.length >= 10 && rejected >= 100,
    `too little to compare: ${charts.length} charts, ${rejected} rejections`,
  );
  assert.deepEqual(wrong, []);
});
