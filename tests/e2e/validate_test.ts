// `helm fastcs schema validate` checks what Helm will check: the chart's defaults, shared values and `-f`
// files coalesced in order (a null deletes), the schema from --schema, a modeline or the chart, an https
// schema cached for offline use, and every error at the file:line:column that gave the value.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, freePort, run, tool } from "../helpers.ts";
import { tempRepo } from "../support/files.ts";

const tree = (files: Record<string, string>) => tempRepo(files, "fastcs-validate-");

const CHART = {
  "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
  "charts/app/values.yaml": 'image:\n  repository: nginx\n  tag: "1.0"\nport: 80\nextra:\n',
  "charts/app/.schema.yaml": "noAdditionalProperties: true\n",
};

Deno.test("validate coalesces like Helm: chart defaults, -f files in order, null deletes a key", async () => {
  await using root = await tree({
    ...CHART,
    "charts/app/ci/unset.yaml": "image:\n  tag: null\nextra: {any: thing}\n",
    "a.yaml": "port: 8080\n",
    "b.yaml": "port: http\nimage:\n  tga: x\n",
  });
  assert.equal((await cli(["schema"], { cwd: root.path })).code, 0);
  // Helm deletes image.tag for this file: no "must be string" error, as before.
  const unset = await cli(["schema", "validate", "charts/app/ci/unset.yaml"], { cwd: root.path });
  assert.equal(unset.code, 0, unset.stdout + unset.stderr);
  assert.match(
    unset.stdout,
    /ci\/unset\.yaml: valid \(charts\/app\/values\.schema\.json, over charts\/app\/values\.yaml\)/,
  );
  // -f a.yaml -f b.yaml: b wins for port; each error is located in the file that gave the value.
  const r = await cli(
    ["schema", "validate", "--schema", "charts/app/values.schema.json", "-f", "a.yaml", "-f", "b.yaml"],
    { cwd: root.path },
  );
  assert.equal(r.code, 4, r.stdout + r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => l.replace(/ \[schema .*\]$/, ""));
  assert.deepEqual(lines, [
    "b.yaml:1:7: port: must be of type integer",
    `b.yaml:3:3: image: unknown key "tga" (the schema does not allow it here; check its spelling)`,
  ]);
});

Deno.test("validate a services repo: shared services/values.yaml merged in, schema from the modeline", async () => {
  await using root = await tree({
    ...CHART,
    "services/values.yaml": "global:\n  domain: example.org\napp:\n  port: 81\n",
    "services/p47/values.yaml":
      '# yaml-language-server: $schema=../../schemas/app-service.schema.json\napp:\n  image:\n    tag: "2.0"\n',
    "services/bad/values.yaml":
      "# yaml-language-server: $schema=../../schemas/app-service.schema.json\napp:\n  prot: 1\n",
  });
  assert.equal((await cli(["schema"], { cwd: root.path })).code, 0);
  const r = await cli(["schema", "validate", "services/p47/values.yaml", "services/bad/values.yaml"], {
    cwd: root.path,
  });
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /services\/p47\/values\.yaml: valid \(schemas\/app-service\.schema\.json, over services\/values\.yaml\)/,
  );
  assert.match(r.stdout, /services\/bad\/values\.yaml:3:3: app: unknown key "prot"/);
  // The shared values are validated too: a typo there is found, at its own line.
  await Deno.writeTextFile(join(root.path, "services/values.yaml"), "app:\n  portt: 81\n");
  const s = await cli(["schema", "validate", "services/p47/values.yaml"], { cwd: root.path });
  assert.equal(s.code, 4);
  assert.match(s.stdout, /^services\/values\.yaml:2:3: app: unknown key "portt"/m);
  // --shared names the file explicitly; a file with no schema at all is a usage error.
  await Deno.writeTextFile(join(root.path, "loose.yaml"), "a: 1\n");
  const none = await cli(["schema", "validate", "loose.yaml"], { cwd: root.path });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /loose\.yaml is not inside a chart and names no schema/);
});

Deno.test("validate --schema https://…: fetched once into HELM_CACHE_HOME, then works offline", async () => {
  await using root = await tree({ "v.yaml": "replicas: two\n" });
  const cache = join(root.path, ".cache-home");
  const port = freePort();
  const schema = JSON.stringify({ type: "object", properties: { replicas: { type: "integer" } } });
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => new Response(schema));
  const url = `http://127.0.0.1:${port}/app.schema.json`;
  const env = { HELM_CACHE_HOME: cache };
  const first = await cli(["schema", "validate", "v.yaml", "--schema", url], { cwd: root.path, env });
  await server.shutdown();
  assert.equal(first.code, 4, first.stderr);
  assert.match(first.stdout, /v\.yaml:1:11: replicas: must be of type integer/);
  const offline = await cli(["schema", "validate", "v.yaml", "--schema", url], { cwd: root.path, env });
  assert.equal(offline.code, 4, offline.stderr);
  assert.match(offline.stdout, /replicas: must be of type integer/);
});

Deno.test("validate: a schema that is null or a $ref cycle is exit 5, not a crash", async () => {
  await using root = await tree({
    "v.yaml": "a: 1\n",
    "null.json": "null\n",
    "cycle.json": JSON.stringify({
      $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } },
      $ref: "#/$defs/a",
    }),
  });
  for (
    const [schema, message] of [["null.json", /not a JSON Schema/], [
      "cycle.json",
      /cycle of \$refs/,
    ]] as const
  ) {
    const r = await cli(["schema", "validate", "v.yaml", "--schema", schema], { cwd: root.path });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /please report|Maximum call stack/);
  }
});

Deno.test("validate follows Helm on sub-chart tags and on a parent without a schema of its own", async () => {
  await using root = await tree({
    "charts/app/Chart.yaml":
      "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: sub, version: 0.1.0, tags: [t2], alias: a1}\n",
    "charts/app/values.yaml": "a1:\n  port: 1\n",
    "charts/app/templates/cm.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n",
    "charts/app/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    "charts/app/charts/sub/values.schema.json": JSON.stringify({
      type: "object",
      properties: { port: { type: "integer" } },
    }),
    "off.yaml": "a1: {port: x}\ntags: {t2: false}\n",
    "on.yaml": "a1: {port: x}\ntags: {t2: true}\n",
  });
  const chart = join(root.path, "charts/app");
  for (const [file, valid] of [["off.yaml", true], ["on.yaml", false]] as const) {
    const ours = await cli(["schema", "validate", "-f", file, "--schema", "charts/app/values.schema.json"], {
      cwd: root.path,
    });
    const helm = await run(tool("helm4"), ["template", "x", chart, "-f", join(root.path, file)]);
    assert.equal(helm.code === 0, valid, `${file}: ${helm.stderr}`);
    // The parent has no values.schema.json: a named --schema that does not exist is still an error...
    assert.equal(ours.code, 5, ours.stderr);
  }
  // ...but by default (the chart's own schema) only the sub-chart is checked, as Helm does.
  for (const [file, valid] of [["off.yaml", true], ["on.yaml", false]] as const) {
    await Deno.copyFile(join(root.path, file), join(chart, "ci.yaml"));
    const ours = await cli(["schema", "validate", "charts/app/ci.yaml"], { cwd: root.path });
    assert.equal(ours.code, valid ? 0 : 4, ours.stdout + ours.stderr);
    if (!valid) assert.match(ours.stdout, /charts\/app\/ci\.yaml:1:12: a1\.port: must be of type integer/);
  }
});

Deno.test("validate --schema https://…: a document that does not parse is not cached", async () => {
  await using root = await tree({ "v.yaml": "a: 1\n" });
  const env = { HELM_CACHE_HOME: join(root.path, ".cache") };
  let body = "not json";
  const port = freePort();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => new Response(body));
  try {
    const url = `http://127.0.0.1:${port}/s.json`;
    const bad = await cli(["schema", "validate", "v.yaml", "--schema", url], { cwd: root.path, env });
    assert.equal(bad.code, 5, bad.stderr);
    assert.match(bad.stderr, /Check that the URL serves a JSON Schema/);
    body = JSON.stringify({ type: "object" });
    const good = await cli(["schema", "validate", "v.yaml", "--schema", url], { cwd: root.path, env });
    assert.equal(good.code, 0, good.stderr);
  } finally {
    await server.shutdown();
  }
});
