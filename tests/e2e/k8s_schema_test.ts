// `$ref: $k8s/...` bundled offline from a local folder of Kubernetes JSON schemas (the ones the PyPI package
// kubernetes-validate ships, unpacked by scripts/setup.sh; never the network): the bundle keeps only the
// definitions the chart reaches, and the real Helm 3 and Helm 4 validate with it where no network is.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, k8sSchemasDir, run, tool } from "../helpers.ts";
import { type TempDir, tempRepo } from "../support/files.ts";

function chart(config: string): Promise<TempDir> {
  return tempRepo({
    "charts/c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    "charts/c/templates/cm.yaml": "kind: ConfigMap\ndata: {v: {{ toJson .Values | quote }}}\n",
    "charts/c/values.yaml": [
      "affinity: {} # @schema $ref: $k8s/affinity-v1.json",
      "# An unversioned name, as in yannh/kubernetes-json-schema:",
      "resources: {} # @schema $ref: $k8s/resourcerequirements.json",
      "extra: {} # @schema $ref: local.json",
      "",
    ].join("\n"),
    // A bundled local file may use $k8s/ too.
    "charts/c/local.json": JSON.stringify({
      properties: { tolerations: { type: "array", items: { $ref: "$k8s/toleration-v1.json" } } },
    }),
    "charts/c/.schema.yaml": config,
  }, "fastcs-k8s-");
}

const CONFIG = `bundle: true\nk8sSchemaVersion: v1.33.1\nk8sSchemaDir: ${k8sSchemasDir()}\n`;

Deno.test("$k8s/ bundled from a local folder: small, offline, enforced by Helm 3 and 4", async () => {
  await using root = await chart(CONFIG);
  const r = await cli(["schema"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  const file = join(root.path, "charts/c/values.schema.json");
  const text = await Deno.readTextFile(file);
  const definitions = await Deno.stat(join(k8sSchemasDir(), "v1.33.0-local/_definitions.json"));
  assert.ok(text.length < 60_000, `${text.length} bytes: only the reached definitions are embedded`);
  assert.ok(definitions.size > 1_000_000);
  const schema = JSON.parse(text);
  const kept = Object.keys(schema.$defs._definitions.$defs);
  assert.ok(kept.includes("io.k8s.api.core.v1.NodeAffinity"), kept.join(", "));
  assert.ok("toleration-v1" in schema.$defs, "a $k8s/ reference inside a bundled local file is bundled too");
  assert.ok(!kept.includes("io.k8s.api.apps.v1.Deployment"), "unreached definitions are pruned");
  const chartDir = join(root.path, "charts/c");
  for (const helm of ["helm3", "helm4"] as const) {
    const ok = await run(tool(helm), ["template", "r", chartDir, "--set", "resources.limits.cpu=1"]);
    assert.equal(ok.code, 0, `${helm}: ${ok.stderr}`);
    for (const bad of ["affinity.nodeAffinity=5", "extra.tolerations[0].effect=7"]) {
      const no = await run(tool(helm), ["template", "r", chartDir, "--set", bad]);
      assert.notEqual(no.code, 0, `${helm} --set ${bad} must fail`);
      assert.match(no.stderr, /nodeAffinity|effect/);
    }
  }
  // The service schema validates offline too.
  await Deno.writeTextFile(join(root.path, "svc.yaml"), "c:\n  affinity:\n    nodeAffinity: 5\n");
  const v = await cli(["schema", "validate", "svc.yaml", "--schema", "schemas/c-service.schema.json"], {
    cwd: root.path,
  });
  assert.equal(v.code, 4, v.stdout + v.stderr);
  assert.match(v.stdout, /svc\.yaml:3:19: c\.affinity\.nodeAffinity: must be of type object/);
  // --check is stable (no network, nothing changes).
  assert.equal((await cli(["schema", "--check"], { cwd: root.path })).code, 0);
});

Deno.test("$k8s/: a version the folder does not hold, or no version, is named as the cause (exit 5)", async () => {
  await using unknown = await chart(CONFIG.replace("v1.33.1", "v1.99.0"));
  const missing = await cli(["schema"], { cwd: unknown.path });
  assert.equal(missing.code, 5, missing.stderr);
  assert.match(missing.stderr, /\$k8s\/affinity-v1\.json: no schema for Kubernetes v1\.99\.0 in /);
  await using unversioned = await chart(`bundle: true\n`);
  const none = await cli(["schema"], { cwd: unversioned.path });
  assert.equal(none.code, 5, none.stderr);
  assert.match(none.stderr, /values\.yaml:1:24: \$ref: "\$k8s\/" needs a Kubernetes schema version/);
});
