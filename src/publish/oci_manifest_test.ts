import assert from "node:assert/strict";
import { createdAt, goJson, helmAnnotations, helmChartArtifact, helmChartConfig } from "./oci_manifest.ts";

// The Chart.yaml `helm package` (4.1.4) wrote for a chart using every metadata field, and the config blob
// `helm push` (3.17.3 and 4.1.4 alike) wrote for that package: Helm's own output, recorded once.
const HELM_CHART_YAML = `annotations:
  alpha: two
  category: Infra
  org.opencontainers.image.title: override-title
  org.opencontainers.image.vendor: Acme
  zeta: "1"
apiVersion: v2
appVersion: a<b>&c
dependencies:
- alias: s
  condition: sub.enabled
  import-values:
  - data
  - child: a
    parent: b
  name: sub
  repository: file://../sub
  tags:
  - t1
  version: 0.1.0
description: "A chart with <html> & \\"quotes\\" and ünïcode \\U0001F600"
home: https://example.org/home
icon: https://example.org/icon.png
keywords:
- a
- b
kubeVersion: '>=1.20.0-0'
maintainers:
- email: jane@example.org
  name: Jane
  url: https://jane.example.org
- name: Bob
name: c1
sources:
- https://github.com/x/y
- https://github.com/x/z
type: application
version: 1.2.3
`;
const HELM_CONFIG =
  `{"name":"c1","home":"https://example.org/home","sources":["https://github.com/x/y","https://github.com/x/z"],"version":"1.2.3","description":"A chart with \\u003chtml\\u003e \\u0026 \\"quotes\\" and ünïcode 😀","keywords":["a","b"],"maintainers":[{"name":"Jane","email":"jane@example.org","url":"https://jane.example.org"},{"name":"Bob"}],"icon":"https://example.org/icon.png","apiVersion":"v2","appVersion":"a\\u003cb\\u003e\\u0026c","annotations":{"alpha":"two","category":"Infra","org.opencontainers.image.title":"override-title","org.opencontainers.image.vendor":"Acme","zeta":"1"},"kubeVersion":"\\u003e=1.20.0-0","dependencies":[{"name":"sub","version":"0.1.0","repository":"file://../sub","condition":"sub.enabled","tags":["t1"],"import-values":["data",{"child":"a","parent":"b"}],"alias":"s"}],"type":"application"}`;

Deno.test("the config is Helm's json.Marshal of the chart metadata, byte for byte", () => {
  assert.equal(helmChartConfig(HELM_CHART_YAML), HELM_CONFIG);
  // A dependency's name and repository have no omitempty in Helm's struct.
  assert.equal(
    helmChartConfig(
      "apiVersion: v2\nname: p\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n",
    ),
    '{"name":"p","version":"1.0.0","apiVersion":"v2","dependencies":[{"name":"sub","version":"0.1.0","repository":""}]}',
  );
});

Deno.test("a Chart.yaml outside Helm's struct is declined (helm push handles it), never guessed", () => {
  assert.equal(helmChartConfig("apiVersion: v2\nname: p\nversion: 1.0.0\nunknown: 1\n"), undefined);
  // go-yaml reads 0o17 as a number: Helm's string field could not hold it.
  assert.equal(helmChartConfig("apiVersion: v2\nname: p\nversion: 0o17\n"), undefined);
  assert.equal(helmChartConfig("apiVersion: v2\nname: p\nversion: 1.0.0\nmaintainers: [x]\n"), undefined);
  assert.equal(helmChartConfig("apiVersion: v2\nname: p\nversion: 1.0.0\nannotations: {a: 1}\n"), undefined);
  assert.equal(helmChartConfig("- a list\n"), undefined);
  assert.equal(helmChartConfig("a: [unclosed\n"), undefined);
});

Deno.test("Go's escaping: <, >, &, U+2028 and U+2029 as \\u escapes, other characters raw", () => {
  assert.equal(goJson({ a: '<>&\u2028\u2029é\n"' }), '{"a":"\\u003c\\u003e\\u0026\\u2028\\u2029é\\n\\""}');
});

Deno.test("annotations: Helm's from the metadata, blank ones left out; the chart's may not replace title or version", () => {
  const annotations = helmAnnotations({
    name: "c",
    version: "1.0.0",
    description: "  ",
    sources: ["https://a", "https://b"],
    maintainers: [{ name: "A", email: "a@x" }, { email: "b@x" }, { name: "C" }],
    annotations: { "org.opencontainers.image.title": "x", "org.opencontainers.image.version": "9", k: "v" },
  }, "2026-01-02T03:04:05Z");
  assert.deepEqual(annotations, {
    "org.opencontainers.image.title": "c",
    "org.opencontainers.image.version": "1.0.0",
    "org.opencontainers.image.created": "2026-01-02T03:04:05Z",
    "org.opencontainers.image.source": "https://a",
    "org.opencontainers.image.authors": "A (a@x),  (b@x), C",
    k: "v",
  });
});

Deno.test("created: Go's RFC 3339 in the local zone, whole seconds, Z only for UTC (as helm push writes the package's time)", () => {
  const time = new Date("2026-01-02T03:04:05.678Z");
  assert.equal(createdAt(time, 0), "2026-01-02T03:04:05Z");
  assert.equal(createdAt(time, 60), "2026-01-02T04:04:05+01:00");
  assert.equal(createdAt(time, -210), "2026-01-01T23:34:05-03:30");
  assert.equal(createdAt(new Date("1969-12-31T23:59:59.5Z"), 0), "1969-12-31T23:59:59Z");
});

Deno.test("the manifest: schema version 2, config, layers sorted by digest, annotations sorted", async () => {
  // The .prov's digest (sha256 of "signature": 1a2f…) sorts before the package's (of "chart": cc57…), so the
  // order pushed (package, then .prov) is not the order written.
  const artifact = await helmChartArtifact(
    new TextEncoder().encode("chart"),
    "apiVersion: v2\nname: p\nversion: 1.0.0\n",
    new TextEncoder().encode("signature"),
    "2026-01-02T03:04:05Z",
  );
  const manifest = JSON.parse(new TextDecoder().decode(artifact!.manifest));
  assert.equal(manifest.schemaVersion, 2);
  assert.equal(Object.keys(manifest).join(), "schemaVersion,config,layers,annotations");
  assert.deepEqual(manifest.layers, [
    {
      mediaType: "application/vnd.cncf.helm.chart.provenance.v1.prov",
      digest: "sha256:1a2fc26dc7ea5a2a4748b7cb2b1ef193d96ab2c99f93092f69e63075b28d1278",
      size: 9,
    },
    {
      mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
      digest: "sha256:cc57fc1903e444cf6a726490b43b27ee9f87facc037f86872201847c565b45fb",
      size: 5,
    },
  ]);
  assert.deepEqual(Object.keys(manifest.annotations), Object.keys(manifest.annotations).sort());
  assert.match(artifact!.digest, /^sha256:[0-9a-f]{64}$/);
});
