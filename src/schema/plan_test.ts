import assert from "node:assert/strict";
import { join } from "node:path";
import type { FastcsError } from "../runtime/errors.ts";
import { applyPlan, checkPlan } from "./apply.ts";
import { planSchemas } from "./plan.ts";

async function repo(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "fastcs-plan-" });
  await Deno.mkdir(join(root, ".git"));
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return root;
}

const twoCharts = {
  "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\n",
  "charts/a/values.yaml": "replicas: 1\n",
  "charts/b/Chart.yaml": "apiVersion: v2\nname: bee\nversion: 0.1.0\n",
  "charts/b/values.yaml": "image: {tag: x}\n",
  "charts/b/.schema.yaml": "aliases: [ioc]\nindent: 2\n",
};

function plan(root: string, extra: Record<string, unknown> = {}) {
  return planSchemas({
    cwd: root,
    chartsDir: join(root, "charts"),
    schemas: true,
    schemasDir: join(root, "schemas"),
    overrides: {},
    only: [],
    warn: () => {},
    display: (p) => p.replace(root + "/", ""),
    fetchRef: () => Promise.reject(new Error("no network in this test")),
    ...extra,
  });
}

Deno.test("every chart gets a schema, a schemas/ link and a service schema; a second run changes nothing", async () => {
  const root = await repo(twoCharts);
  const first = await applyPlan(await plan(root));
  assert.deepEqual(first.map((w) => [w.path.replace(root + "/", ""), w.action]), [
    ["charts/a/values.schema.json", "written"],
    ["schemas/a-values.schema.json", "linked"],
    ["schemas/a-service.schema.json", "written"],
    ["charts/b/values.schema.json", "written"],
    ["schemas/bee-values.schema.json", "linked"],
    ["schemas/bee-service.schema.json", "written"],
  ]);
  assert.equal(
    await Deno.readLink(join(root, "schemas/bee-values.schema.json")),
    "../charts/b/values.schema.json",
  );
  const service = JSON.parse(await Deno.readTextFile(join(root, "schemas/bee-service.schema.json")));
  assert.deepEqual(Object.keys(service.properties), ["global", "bee", "ioc"]);
  assert.ok(
    (await Deno.readTextFile(join(root, "charts/b/values.schema.json"))).startsWith('{\n  "$schema"'),
  );
  assert.deepEqual(await checkPlan(await plan(root)), []);
  assert.ok((await applyPlan(await plan(root))).every((w) => w.action === "unchanged"));
});

Deno.test("--check lists every stale, missing or mislinked file and writes nothing", async () => {
  const root = await repo(twoCharts);
  await applyPlan(await plan(root));
  await Deno.writeTextFile(join(root, "charts/a/values.yaml"), "replicas: 1\nname: x\n");
  await Deno.remove(join(root, "schemas/bee-service.schema.json"));
  await Deno.remove(join(root, "schemas/bee-values.schema.json"));
  await Deno.symlink("../charts/a/values.schema.json", join(root, "schemas/bee-values.schema.json"));
  const before = await Deno.readTextFile(join(root, "charts/a/values.schema.json"));
  const stale = await checkPlan(await plan(root));
  assert.deepEqual(stale.map((s) => [s.path.replace(root + "/", ""), s.reason]), [
    ["charts/a/values.schema.json", "content differs"],
    ["schemas/a-service.schema.json", "content differs"],
    ["schemas/bee-values.schema.json", "link points elsewhere"],
    ["schemas/bee-service.schema.json", "missing"],
  ]);
  assert.equal(await Deno.readTextFile(join(root, "charts/a/values.schema.json")), before);
});

Deno.test("copies stand in for links where asked, and --check accepts an identical copy", async () => {
  const root = await repo(twoCharts);
  const written = await applyPlan(await plan(root, { overrides: { links: "copy" } }));
  assert.equal(written.find((w) => w.path.endsWith("a-values.schema.json"))?.action, "copied");
  assert.equal((await Deno.lstat(join(root, "schemas/a-values.schema.json"))).isSymlink, false);
  assert.deepEqual(await checkPlan(await plan(root)), []);
  await Deno.writeTextFile(join(root, "schemas/a-values.schema.json"), "{}\n");
  assert.equal((await checkPlan(await plan(root)))[0].reason, "content differs");
});

Deno.test("a link that git checked out as a file holding its target (core.symlinks=false) is up to date", async () => {
  const root = await repo(twoCharts);
  await applyPlan(await plan(root));
  const link = join(root, "schemas/a-values.schema.json");
  const target = await Deno.readLink(link);
  await Deno.remove(link);
  await Deno.writeTextFile(link, target); // what git writes: the target, no newline
  assert.deepEqual(await checkPlan(await plan(root)), []);
  const written = await applyPlan(await plan(root));
  assert.equal(written.find((w) => w.path === link)?.action, "unchanged");
  await Deno.writeTextFile(link, "../charts/other/values.schema.json");
  assert.deepEqual((await checkPlan(await plan(root))).map((s) => s.reason), ["link points elsewhere"]);
});

Deno.test("a dangling link of a removed chart is reported, then removed", async () => {
  const root = await repo(twoCharts);
  await applyPlan(await plan(root));
  await Deno.remove(join(root, "charts/b"), { recursive: true });
  const stale = await checkPlan(await plan(root));
  assert.deepEqual(stale.map((s) => s.reason), ["dangling link"]);
  const done = await applyPlan(await plan(root));
  assert.ok(done.some((w) => w.action === "removed" && w.path.endsWith("bee-values.schema.json")));
});

Deno.test("a link pointing outside the repo is refused", async () => {
  const root = await repo(twoCharts);
  await Deno.mkdir(join(root, "schemas"));
  await Deno.symlink("/etc/hostname", join(root, "schemas/evil.schema.json"));
  await assert.rejects(plan(root), (e: FastcsError) => {
    assert.equal(e.exitCode, 5);
    assert.match(e.message, /schemas\/evil\.schema\.json links to \/etc\/hostname, outside the repository/);
    return true;
  });
});

Deno.test("bad input in one chart writes nothing for any chart", async () => {
  const root = await repo({
    ...twoCharts,
    "charts/b/values.yaml": "image:\n  tag: x # @schema maxLenght: 3\n",
  });
  await assert.rejects(plan(root), /charts\/b\/values\.yaml:2:20: unknown @schema keyword "maxLenght"/);
  await assert.rejects(Deno.stat(join(root, "charts/a/values.schema.json")), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(join(root, "schemas")), Deno.errors.NotFound);
});

Deno.test("unknown --chart names and a missing values file are clear errors", async () => {
  const root = await repo(twoCharts);
  await assert.rejects(plan(root, { only: ["nope"] }), /no chart named nope.*/);
  await assert.rejects(
    plan(root, { overrides: { values: ["missing.yaml"] } }),
    /chart a: values file charts\/a\/missing\.yaml does not exist/,
  );
});

Deno.test("a checkout with CRLF line ends (core.autocrlf=true) is up to date, not stale", async () => {
  const root = await repo(twoCharts);
  await applyPlan(await plan(root));
  for (const f of ["charts/a/values.schema.json", "schemas/a-service.schema.json"]) {
    const path = join(root, f);
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replaceAll("\n", "\r\n"));
  }
  assert.deepEqual(await checkPlan(await plan(root)), []);
  // A real change is still found.
  await Deno.writeTextFile(join(root, "charts/a/values.schema.json"), "{}\r\n");
  assert.equal((await checkPlan(await plan(root))).length, 1);
});

Deno.test("an annotated chart with a $ref into a document it does not bundle is generated offline", async () => {
  // The own-defaults check compiles the schema; the unbundled document stands in as "anything", also at
  // the pointer into it (corpus: grafana-community's loki refers to $k8s/_definitions.json#/definitions/...).
  const root = await repo({
    "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\n",
    "charts/a/values.yaml": [
      "# @schema $ref: $k8s/_definitions.json#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
      "selector: {matchLabels: {app: x}}",
      "port: 80 # @schema type: integer; minimum: 1",
      "",
    ].join("\n"),
  });
  const result = await plan(root, { overrides: { k8sSchemaVersion: "v1.33.1" } });
  const schema = JSON.parse(result.files[0].content);
  assert.match(schema.properties.selector.$ref, /v1\.33\.1\/_definitions\.json#\/definitions\/io\.k8s/);
  // The check still runs: an annotation rejecting the chart's own value is refused.
  await Deno.writeTextFile(
    join(root, "charts/a/values.yaml"),
    "# @schema $ref: $k8s/_definitions.json#/definitions/X\nselector: {}\nports: [80] # @schema item: string\n",
  );
  await assert.rejects(
    plan(root, { overrides: { k8sSchemaVersion: "v1.33.1" } }),
    (e: FastcsError) => /rejects the chart's own values/.test(e.message),
  );
});
