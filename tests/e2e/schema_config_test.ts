// `helm fastcs schema` as a drop-in for a helm-values-schema-json set-up (`--config FILE`, paths from the
// working directory, a library chart's own output name), and the one write rule: every file it writes stays
// inside the repository and is never one of its inputs, whatever the config or Chart.yaml say.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "../helpers.ts";
import { tempDir, tempRepo } from "../support/files.ts";

const repo = (files: Record<string, string>) => tempRepo(files, "fastcs-dropin-");

const CHART = "apiVersion: v2\nname: NAME\nversion: 1.0.0\n";

Deno.test("--config: an epics-containers style config runs unchanged (paths from the working directory)", async () => {
  await using root = await repo({
    ".schema.config.yaml": [
      "values: [Charts/ioc-instance/values.yaml]",
      "output: Charts/ioc-instance/ioc-instance.schema.json",
      "draft: 7",
      "indent: 2",
      "bundle: false",
      "someFutureKey: 1",
      "",
    ].join("\n"),
    "Charts/ioc-instance/Chart.yaml": CHART.replace("NAME", "ioc-instance") + "type: library\n",
    "Charts/ioc-instance/values.yaml":
      "# -- not a description without useHelmDocs\nimage: x\nhostNetwork: false\n",
    "Charts/other/Chart.yaml": CHART.replace("NAME", "other"),
    "Charts/other/values.yaml": "a: 1\n",
  });
  const r = await cli(["schema", "--config", ".schema.config.yaml", "--no-schemas"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\.schema\.config\.yaml:6:1: unknown key "someFutureKey".*\(ignored\)/);
  const schema = JSON.parse(
    await Deno.readTextFile(join(root.path, "Charts/ioc-instance/ioc-instance.schema.json")),
  );
  assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
  assert.deepEqual(schema.properties.image, { type: "string" });
  // Only the configured chart: nothing else was written.
  for (const f of ["Charts/ioc-instance/values.schema.json", "Charts/other/values.schema.json"]) {
    await assert.rejects(Deno.stat(join(root.path, f)), Deno.errors.NotFound, f);
  }
  const strict = await cli(["schema", "--config", ".schema.config.yaml", "--strict", "--check"], {
    cwd: root.path,
  });
  assert.equal(strict.code, 5);
  const check = await cli(["schema", "--config", ".schema.config.yaml", "--no-schemas", "--check"], {
    cwd: root.path,
  });
  assert.equal(check.code, 0, check.stderr);
});

Deno.test("a chart without values.yaml (CRDs, a library) is skipped with a note", async () => {
  await using root = await repo({
    "charts/crds/Chart.yaml": CHART.replace("NAME", "crds"),
    "charts/app/Chart.yaml": CHART.replace("NAME", "app"),
    "charts/app/values.yaml": "a: 1\n",
  });
  const r = await cli(["schema"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /chart crds: no charts\/crds\/values\.yaml, so no values schema \(skipped\)/);
  await Deno.stat(join(root.path, "charts/app/values.schema.json"));
  await assert.rejects(Deno.stat(join(root.path, "schemas/crds-service.schema.json")), Deno.errors.NotFound);
});

Deno.test("writes stay inside the repository and never replace an input (exit 5, nothing written)", async () => {
  await using outside = await tempDir("fastcs-outside-");
  const victim = join(outside.path, "victim-values.schema.json");
  await Deno.writeTextFile(victim, "precious\n");
  const files = {
    "charts/app/Chart.yaml": CHART.replace("NAME", "app"),
    "charts/app/values.yaml": "a: 1\n",
  };
  const cases: [Record<string, string>, string[], RegExp][] = [
    [
      { "charts/app/.schema.yaml": "output: values.yaml\n" },
      [],
      /\.schema\.yaml:1:1: refusing to write charts\/app\/values\.yaml: it is one of the files this run reads/,
    ],
    [
      { "charts/app/.schema.yaml": "output: Chart.yaml\n" },
      [],
      /refusing to write charts\/app\/Chart\.yaml: it is one of the files/,
    ],
    [
      { "charts/app/.schema.yaml": "output: .schema.yaml\n" },
      [],
      /refusing to write charts\/app\/\.schema\.yaml: it is one of the files/,
    ],
    [
      { "charts/app/.schema.yaml": `output: ${victim}\n` },
      [],
      /\.schema\.yaml:1:1: refusing to write .*victim-values\.schema\.json: it is outside the repository/,
    ],
    [{ "charts/app/.schema.yaml": "output: ../../../x.json\n" }, [], /it is outside the repository/],
    [
      { "charts/app/Chart.yaml": CHART.replace("NAME", "../../../victim") },
      [],
      /Chart\.yaml:1:1: chart name "\.\.\/\.\.\/\.\.\/victim" is invalid/,
    ],
    [
      {},
      ["--schemas-dir", outside.path],
      /refusing to write .*app-values\.schema\.json: it is outside the repository/,
    ],
  ];
  for (const [extra, args, message] of cases) {
    await using root = await repo({ ...files, ...extra });
    const before = new Map<string, string>();
    for (const f of Object.keys({ ...files, ...extra })) {
      before.set(f, await Deno.readTextFile(join(root.path, f)));
    }
    const r = await cli(["schema", ...args], { cwd: root.path });
    assert.equal(r.code, 5, `${JSON.stringify(extra)}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /please report/);
    for (const [f, text] of before) assert.equal(await Deno.readTextFile(join(root.path, f)), text, f);
    assert.equal(await Deno.readTextFile(victim), "precious\n");
    assert.deepEqual([...Deno.readDirSync(outside.path)].map((e) => e.name), ["victim-values.schema.json"]);
  }
  // schemas/ as a link to a folder outside the repository: refused, and --check does not call it up to date.
  await using root = await repo(files);
  await Deno.symlink(outside.path, join(root.path, "schemas"));
  for (const args of [[], ["--check"]]) {
    const r = await cli(["schema", ...args], { cwd: root.path });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /outside the repository/);
  }
  assert.deepEqual([...Deno.readDirSync(outside.path)].map((e) => e.name), ["victim-values.schema.json"]);
  // --charts-dir . (a chart at the repo root): schemas/ goes into the repo, not its parent.
  await using flat = await repo({ "Chart.yaml": CHART.replace("NAME", "flat"), "values.yaml": "a: 1\n" });
  const f = await cli(["schema", "--charts-dir", "."], { cwd: flat.path });
  assert.equal(f.code, 0, f.stderr);
  await Deno.stat(join(flat.path, "schemas/flat-service.schema.json"));
});

Deno.test("a relative $ref resolves against the folder of the values file that holds it", async () => {
  await using root = await repo({
    ".schema.config.yaml": [
      "values: [charts/app/values.yaml, shared/common.yaml]",
      "output: charts/app/values.schema.json",
      "bundle: true",
      "bundleRoot: .",
      "",
    ].join("\n"),
    "charts/app/Chart.yaml": CHART.replace("NAME", "app"),
    "charts/app/values.yaml": "port: 80 # @schema $ref: defs/port.json\n",
    "charts/app/defs/port.json": JSON.stringify({ type: "integer", minimum: 1 }),
    "shared/common.yaml": "tls: {} # @schema $ref: defs/tls.json\n",
    "shared/defs/tls.json": JSON.stringify({
      type: "object",
      properties: { secretName: { type: "string" } },
    }),
  });
  const r = await cli(["schema", "--config", ".schema.config.yaml", "--no-schemas"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(await Deno.readTextFile(join(root.path, "charts/app/values.schema.json")));
  assert.deepEqual(Object.keys(schema.$defs).sort(), ["port", "tls"]);
  assert.deepEqual(schema.$defs.tls.properties, { secretName: { type: "string" } });
  assert.match(schema.$defs.tls.$comment, /shared\/defs\/tls\.json/);
});

Deno.test("flags read paths from the working directory; a root config names one chart and only that one", async () => {
  await using root = await repo({
    "charts/app/Chart.yaml": CHART.replace("NAME", "app"),
    "charts/app/values.yaml": "a: 1\n",
    "charts/app/extra.yaml": "b: x\n",
    "charts/other/Chart.yaml": CHART.replace("NAME", "other"),
    "charts/other/values.yaml": "c: 1\n",
  });
  const absolute = await cli([
    "schema",
    "--charts-dir",
    join(root.path, "charts"),
    "--no-schemas",
    "--chart",
    "app",
    "--values",
    "charts/app/values.yaml",
    "charts/app/extra.yaml",
  ], { cwd: root.path });
  assert.equal(absolute.code, 0, absolute.stderr);
  const schema = JSON.parse(await Deno.readTextFile(join(root.path, "charts/app/values.schema.json")));
  assert.deepEqual(Object.keys(schema.properties), ["a", "b"]);
  await Deno.remove(join(root.path, "charts/app/values.schema.json"));
  // A helm-values-schema-json .schema.yaml at the root describes the chart of its files, and only it.
  await Deno.writeTextFile(
    join(root.path, ".schema.yaml"),
    "values: [charts/app/values.yaml]\noutput: charts/app/app.schema.json\n",
  );
  const r = await cli(["schema", "--no-schemas"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  await Deno.stat(join(root.path, "charts/app/app.schema.json"));
  await assert.rejects(Deno.stat(join(root.path, "charts/other/values.schema.json")), Deno.errors.NotFound);
});

Deno.test("a repo-root .schema.yaml shared by several charts is warned about once, not once per chart", async () => {
  await using root = await repo({
    ".schema.yaml": "draft: 7\nsomeFutureKey: 1\n",
    "charts/a/Chart.yaml": CHART.replace("NAME", "a"),
    "charts/a/values.yaml": "a: 1\n",
    "charts/b/Chart.yaml": CHART.replace("NAME", "b"),
    "charts/b/values.yaml": "b: 1\n",
    "charts/c/Chart.yaml": CHART.replace("NAME", "c"),
    "charts/c/values.yaml": "c: 1\n",
  });
  const r = await cli(["schema", "--no-schemas"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.match(/unknown key "someFutureKey"/g)?.length, 1, r.stderr);
  for (const chart of ["a", "b", "c"]) {
    const schema = JSON.parse(await Deno.readTextFile(join(root.path, `charts/${chart}/values.schema.json`)));
    assert.equal(
      schema.$schema,
      "http://json-schema.org/draft-07/schema#",
      `the shared draft applies to ${chart}`,
    );
  }
});
