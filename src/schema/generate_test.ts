import assert from "node:assert/strict";
import type { FastcsError } from "../runtime/errors.ts";
import { errorsOf, gen, prop } from "./test_support.ts";
import { parseYamlSource } from "../chart/yaml_source.ts";

Deno.test("types are inferred from values as Helm reads them (YAML 1.1 booleans)", () => {
  const s = gen(
    "i: 1\nf: 1.5\ne: 1e3\nhex: 0x1F\nb: true\nyy: yes\nstr: hello\nq: '1'\nnn:\nobj: {}\narr: []\nts: 2001-12-14\noct: 0755\n",
  );
  const types = Object.fromEntries(Object.entries(s.properties as object).map(([k, v]) => [k, v.type]));
  assert.deepEqual(types, {
    i: "integer",
    f: "number",
    e: "number",
    hex: "integer",
    b: "boolean",
    yy: "boolean",
    str: "string",
    q: "string",
    nn: undefined,
    obj: "object",
    arr: "array",
    ts: "string",
    oct: "integer",
  });
  assert.equal(s.$schema, "https://json-schema.org/draft/2020-12/schema");
});

Deno.test("keys y, n, yes, on are booleans in YAML 1.1, so Helm (and we) see keys true and false", () => {
  // Checked with helm template on Helm 3.17 and 4.1: `y: 1` reaches templates as .Values "true".
  const s = gen("y: 1\nn: x\n");
  assert.deepEqual(Object.keys(s.properties as object), ["true", "false"]);
});

Deno.test("annotations apply on the key's line, the line above and the line below", () => {
  const s = gen([
    "same: myapp # @schema maxLength: 10",
    "# @schema minLength: 2",
    "above: myapp",
    "resources:",
    "  limits: {}",
    "# @schema additionalProperties: false",
    "",
    "next: 1",
  ].join("\n"));
  assert.equal(prop(s, "same").maxLength, 10);
  assert.equal(prop(s, "above").minLength, 2);
  assert.equal(prop(s, "resources").additionalProperties, false);
  assert.equal(prop(s, "next").additionalProperties, undefined);
});

Deno.test("a comment run followed directly by a sibling belongs to the sibling", () => {
  const s = gen("a: 1\n# @schema minimum: 0\nb: 2\n");
  assert.equal(prop(s, "a").minimum, undefined);
  assert.equal(prop(s, "b").minimum, 0);
});

Deno.test("annotations at another indentation do not attach", () => {
  const s = gen("a:\n  b: 1\n  # @schema minimum: 0\nc: 2\n");
  assert.equal(prop(s, "a.b").minimum, 0);
  assert.equal(prop(s, "c").minimum, undefined);
});

Deno.test("a bare key with a type or pattern annotation is never typed null alone", () => {
  const s = gen(
    "clusterIP: # @schema pattern: ^(None|[0-9.]+)$\nport: # @schema type: integer\nnu: # @schema type: [integer, null]\nr: # @schema minimum: 1\n",
  );
  assert.deepEqual(prop(s, "clusterIP").type, ["string", "null"]);
  assert.deepEqual(prop(s, "port").type, ["integer", "null"]);
  assert.deepEqual(prop(s, "nu").type, ["integer", "null"]);
  assert.deepEqual(prop(s, "r").type, ["number", "null"]);
  assert.equal(errorsOf(s, { clusterIP: "10.0.0.1", port: 8080 }), 0);
  assert.equal(errorsOf(s, { clusterIP: "no way" }), 1);
});

Deno.test("a null default (bare key, ~, null) constrains nothing: it says unset, not 'must stay null'", () => {
  const s = gen("a:\nb: ~\nc: null\nd: 1\n# -- the address\ne:\n", { noAdditionalProperties: true });
  for (const k of ["a", "b", "c"]) assert.deepEqual(prop(s, k), {});
  assert.deepEqual(prop(s, "e"), { description: "the address" });
  // What users set on public charts' null defaults (tempo-vulture, loki-canary ci/ files) all passes...
  assert.equal(errorsOf(s, { a: "http://x", b: { user: "u" }, c: [1], d: 2, e: null }), 0);
  // ...while a typo'd key in a closed object still fails.
  assert.equal(errorsOf(s, { aa: "x" }), 1);
  // nullable on a bare key adds nothing to check.
  assert.deepEqual(prop(gen("nu: # @schema nullable: true\n"), "nu"), {});
});

Deno.test("an empty-string default accepts any scalar, and only a scalar; a non-empty default keeps its type", () => {
  const s = gen('servicePort: ""\nname: x\nport: 80\ntag: "" # @schema pattern: ^v|^$\nlist: []\n');
  assert.deepEqual(prop(s, "servicePort").type, ["string", "number", "boolean"]);
  assert.equal(errorsOf(s, { servicePort: 80 }), 0);
  assert.equal(errorsOf(s, { servicePort: "http" }), 0);
  assert.equal(errorsOf(s, { servicePort: { a: 1 } }), 1);
  // With an annotation the author has said what the key holds.
  assert.equal(prop(s, "tag").type, "string");
  assert.equal(errorsOf(s, { name: 1 }), 1);
  assert.equal(errorsOf(s, { port: "80" }), 1);
  assert.equal(errorsOf(s, { list: { a: 1 } }), 1);
});

Deno.test("enum unites its values' types with the inferred type", () => {
  const s = gen(
    "service: ClusterIP # @schema enum: [ClusterIP, LoadBalancer, null]\nport: [80] # @schema itemEnum: [80, 443]\n",
  );
  assert.deepEqual(prop(s, "service"), {
    type: ["string", "null"],
    enum: ["ClusterIP", "LoadBalancer", null],
  });
  assert.deepEqual(prop(s, "port").items, { type: "integer", enum: [80, 443] });
});

Deno.test("item keywords type the items of empty lists", () => {
  const s = gen([
    "secrets: [] # @schema item: object; itemProperties: {name: {type: string}}; itemRequired: [name]",
    "names: [] # @schema item: [string, null]",
    "refs: [] # @schema itemRef: https://example.com/s.json",
  ].join("\n"));
  assert.deepEqual(prop(s, "secrets").items, {
    type: "object",
    properties: { name: { type: "string" } },
    required: ["name"],
  });
  assert.deepEqual(prop(s, "names").items, { type: ["string", "null"] });
  assert.deepEqual(prop(s, "refs").items, { $ref: "https://example.com/s.json" });
});

Deno.test("list items merge so that every element validates", () => {
  const s = gen("l:\n  - a: 1\n  - a: 2.5\n    b: x\n  - 3\n");
  const items = prop(s, "l").items as Record<string, unknown>;
  assert.deepEqual(items.type, ["object", "integer"]);
  assert.deepEqual(items.properties, { a: { type: "number" }, b: { type: "string" } });
  assert.equal(errorsOf(s, { l: [{ a: 1 }, { a: 2.5, b: "x" }, 3] }), 0);
});

Deno.test("annotations on block list items apply to the items schema", () => {
  const s = gen("app: &app x\nns:\n  - *app # @schema type: [string]\n");
  assert.deepEqual(prop(s, "ns").items, { type: "string" });
});

Deno.test("required marks keys required by their parent", () => {
  const s = gen(
    "image:\n  repository: nginx # @schema required: true\n  tag: x # @schema required\n  pull: y\n",
  );
  assert.deepEqual(prop(s, "image").required, ["repository", "tag"]);
});

Deno.test("hidden, skipProperties and mergeProperties", () => {
  const s = gen([
    "secret: {} # @schema hidden: true",
    "resources: # @schema skipProperties: true",
    "  limits: {cpu: 1}",
    "env: # @schema mergeProperties: true",
    "  A: {value: 1}",
    "  B: {value: x, from: z}",
  ].join("\n"));
  assert.deepEqual((s.properties as Record<string, unknown>).secret, {});
  assert.deepEqual(prop(s, "resources"), { type: "object" });
  assert.deepEqual(prop(s, "env").additionalProperties, {
    type: "object",
    properties: { value: { type: ["integer", "string"] }, from: { type: "string" } },
  });
  assert.equal(prop(s, "env").properties, undefined);
});

Deno.test("composition keywords drop the inferred type; $k8s expands with the configured version", () => {
  const s = gen(
    "d: sha256:1 # @schema anyOf: [{type: string}, {type: integer}]\nm: 1Gi # @schema $ref: $k8s/_definitions.json#/definitions/q\n",
    {
      k8sSchemaVersion: "v1.33.1",
    },
  );
  assert.deepEqual(prop(s, "d"), { anyOf: [{ type: "string" }, { type: "integer" }] });
  assert.equal(
    prop(s, "m").$ref,
    "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/refs/heads/master/v1.33.1/_definitions.json#/definitions/q",
  );
});

Deno.test("$k8s without a version is an error at the annotation", () => {
  assert.throws(() => gen("a: 1\nm: # @schema $ref: $k8s/x.json\n"), (e: FastcsError) => {
    assert.match(e.message, /^values\.yaml:2:14: \$ref: "\$k8s\/" needs a Kubernetes schema version/);
    return true;
  });
});

Deno.test("all remaining keywords pass through", () => {
  const s = gen([
    "a: x # @schema title: T; description: D; examples: [x, y]; default: z; readOnly; deprecated; $id: https://e.com/a; const: x; format: hostname; $comment: c",
    "num: 4 # @schema multipleOf: 2; minimum: 2; maximum: 10; exclusiveMaximum: 11",
    "o: {} # @schema minProperties: 1; maxProperties: 3; patternProperties: {'^x': {type: string}}; unevaluatedProperties: false",
    "l: [a] # @schema minItems: 1; maxItems: 3; uniqueItems: true",
    "x: 1 # @schema not: {type: string}",
  ].join("\n"));
  assert.deepEqual(prop(s, "a"), {
    $id: "https://e.com/a",
    $comment: "c",
    title: "T",
    description: "D",
    deprecated: true,
    readOnly: true,
    type: "string",
    const: "x",
    default: "z",
    examples: ["x", "y"],
    format: "hostname",
  });
  assert.deepEqual(prop(s, "num"), {
    type: "integer",
    minimum: 2,
    maximum: 10,
    exclusiveMaximum: 11,
    multipleOf: 2,
  });
  assert.deepEqual(Object.keys(prop(s, "o")), [
    "type",
    "patternProperties",
    "unevaluatedProperties",
    "minProperties",
    "maxProperties",
  ]);
  assert.deepEqual(prop(s, "l"), {
    type: "array",
    items: { type: "string" },
    minItems: 1,
    maxItems: 3,
    uniqueItems: true,
  });
  assert.deepEqual(prop(s, "x"), { not: { type: "string" } });
});

Deno.test("descriptions come from helm-docs and plain comments, multi-line kept", () => {
  const text = [
    "# @schema minimum: 1",
    "# -- Number of replicas",
    "# of the service.",
    "# @default -- 1",
    "replicas: 1",
    "# Plain comment",
    "# second line",
    "plain: x",
    "# -- (int) typed helm-docs",
    "typed: 1",
    "trailing: 2 # the trailing one",
    "# ----------",
    "rule: 3",
  ].join("\n");
  const s = gen(text);
  assert.equal(prop(s, "replicas").description, "Number of replicas\nof the service.");
  assert.equal(prop(s, "replicas").minimum, 1);
  assert.equal(prop(s, "plain").description, "Plain comment\nsecond line");
  assert.equal(prop(s, "typed").description, "typed helm-docs");
  assert.equal(prop(s, "trailing").description, "the trailing one");
  assert.equal(prop(s, "rule").description, undefined);
  const helmDocsOnly = gen(text, { descriptions: "helm-docs" });
  assert.equal(prop(helmDocsOnly, "plain").description, undefined);
  assert.equal(prop(helmDocsOnly, "replicas").description, "Number of replicas\nof the service.");
  assert.equal(prop(gen(text, { descriptions: "none" }), "replicas").description, undefined);
  assert.equal(prop(gen("a: 1 # @schema description: mine\n"), "a").description, "mine");
});

Deno.test("several values files merge, the later winning", () => {
  const s = gen([
    "a: 1\nobj:\n  x: 1 # @schema required\n",
    "a: text\nobj:\n  z: true # @schema required\nb: [1]\n",
  ]);
  assert.equal(prop(s, "a").type, "string");
  assert.deepEqual(Object.keys(prop(s, "obj").properties as object), ["x", "z"]);
  assert.deepEqual(prop(s, "obj").required, ["x", "z"]);
  assert.equal(prop(s, "b").type, "array");
});

Deno.test("closing objects: additionalProperties, or unevaluatedProperties beside $ref; global stays allowed", () => {
  const s = gen("image:\n  tag: x\nref: # @schema $ref: https://e.com/s.json\n  a: 1\nopen: {}\n", {
    noAdditionalProperties: true,
  });
  assert.equal(s.additionalProperties, false);
  assert.equal(prop(s, "image").additionalProperties, false);
  assert.equal(prop(s, "ref").unevaluatedProperties, false);
  assert.equal(prop(s, "ref").additionalProperties, undefined);
  assert.equal(prop(s, "open").additionalProperties, undefined);
  assert.deepEqual(prop(s, "global").type, ["object", "null"]);
  // A parent's dependency condition (<key>.enabled) puts `enabled` into the sub-chart's values.
  assert.equal(prop(s, "enabled").type, "boolean");
  assert.equal(errorsOf(s, { global: { x: 1 }, enabled: true, image: { tag: "y" } }), 0);
  assert.ok(errorsOf(s, { imgae: {} }) > 0);
  const noGlobal = gen("a: 1\n", { noAdditionalProperties: true, noDefaultGlobal: true });
  assert.equal((noGlobal.properties as Record<string, unknown>).global, undefined);
  // The chart's own globals are documented but never closed: a parent's globals are copied in.
  const own = gen("global:\n  imageRegistry: r\n  image:\n    pullPolicy: x\n", {
    noAdditionalProperties: true,
  });
  assert.equal(prop(own, "global").additionalProperties, undefined);
  assert.equal(prop(own, "global.image").additionalProperties, undefined);
  assert.equal(errorsOf(own, { global: { imageRegistry: "q", parentKey: 1, image: { other: 2 } } }), 0);
  // An explicit additionalProperties: false beside $ref becomes unevaluatedProperties too.
  const explicit = gen("r: # @schema $ref: https://e.com/s.json; additionalProperties: false\n  a: 1\n");
  assert.equal(prop(explicit, "r").unevaluatedProperties, false);
});

Deno.test("draft 7: $ref moves into allOf and newer keywords are refused", () => {
  const s = gen("r: # @schema $ref: https://e.com/s.json\n  a: 1\n", { draft: "7" });
  assert.equal(s.$schema, "http://json-schema.org/draft-07/schema#");
  assert.deepEqual(prop(s, "r"), {
    type: "object",
    properties: { a: { type: "integer" } },
    allOf: [{ $ref: "https://e.com/s.json" }],
  });
  assert.throws(
    () => gen("o: {} # @schema unevaluatedProperties: false\n", { draft: "7" }),
    /values\.yaml:1:17: unevaluatedProperties does not exist in JSON Schema draft 7/,
  );
  assert.equal(gen("a: 1\n", { draft: "2019-09" }).$schema, "https://json-schema.org/draft/2019-09/schema");
});

Deno.test("anchors, aliases and merge keys", () => {
  const s = gen("base: &b\n  timeout: 30\n  retries: 3\nprod:\n  <<: *b\n  timeout: 60.5\nalias: *b\n");
  assert.deepEqual(prop(s, "prod").properties, { retries: { type: "integer" }, timeout: { type: "number" } });
  assert.deepEqual(prop(s, "alias"), prop(s, "base"));
});

Deno.test("keys with dots and slashes, empty files, and documents that are not mappings", () => {
  const s = gen("nodeSelector:\n  kubernetes.io/hostname: n1\n");
  assert.deepEqual(
    (prop(s, "nodeSelector").properties as Record<string, unknown>)["kubernetes.io/hostname"],
    { type: "string" },
  );
  assert.deepEqual(gen(""), { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" });
  assert.deepEqual(gen("# only a comment\n").type, "object");
  assert.throws(() => gen("- a\n- b\n"), /values\.yaml:1:1: a values file must hold a mapping/);
});

Deno.test("malformed YAML is an input error with its position", () => {
  assert.throws(() => parseYamlSource("v.yaml", "a: 1\nb: [1, 2\nc: 3\n"), (e: FastcsError) => {
    assert.equal(e.exitCode, 5);
    assert.match(e.message, /^v\.yaml:\d+:\d+: malformed YAML/);
    return true;
  });
  assert.throws(() => parseYamlSource("v.yaml", "a: 1\n---\nb: 2\n"), /v\.yaml:2:1: malformed YAML/);
});

Deno.test("output is deterministic: keyword order does not depend on annotation order", () => {
  const a = gen("x: 1 # @schema maximum: 3; minimum: 1; title: t\n");
  const b = gen("x: 1 # @schema title: t; minimum: 1; maximum: 3\n");
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.deepEqual(Object.keys(prop(a, "x")), ["title", "type", "minimum", "maximum"]);
});

Deno.test("a parent's schema leaves its sub-charts' values to their own schemas: open, no inferred types", () => {
  const s = gen("mysql:\n  auth:\n    existingSecret: s\n  port: 3306 # @schema minimum: 1\nown: 1\n", {
    noAdditionalProperties: true,
    subCharts: ["mysql", "opensearch"],
  });
  assert.deepEqual(prop(s, "mysql.auth"), { properties: { existingSecret: {} } });
  assert.deepEqual(prop(s, "mysql.port"), { minimum: 1 });
  assert.equal(prop(s, "mysql").type, "object");
  // Helm coalesces every sub-chart's defaults into the parent's values, mentioned there or not.
  assert.equal(prop(s, "opensearch").type, "object");
  assert.equal(
    errorsOf(s, { mysql: { auth: { existingSecret: null, x: 1 }, global: {} }, opensearch: {} }),
    0,
  );
  assert.equal(errorsOf(s, { onw: 1 }), 1);
});

Deno.test("helm-docs named comments (# key.path -- text) describe their key from anywhere in the file", () => {
  const yaml = [
    "# image.tag -- The tag to run;",
    "# empty means appVersion.",
    "image:",
    "  tag: x",
    "  # -- own doc wins",
    "  pullPolicy: Always",
    "# replicas -- How many.",
    "replicas: 1",
    "",
    "# image.pullPolicy -- named, but the key has its own",
  ].join("\n");
  for (const descriptions of ["auto", "helm-docs"] as const) {
    const s = gen(yaml, { descriptions });
    assert.equal(prop(s, "image.tag").description, "The tag to run;\nempty means appVersion.");
    assert.equal(
      prop(s, "image").description,
      undefined,
      "a named comment is not the next key's description",
    );
    assert.equal(prop(s, "image.pullPolicy").description, "own doc wins");
    assert.equal(prop(s, "replicas").description, "How many.");
  }
  assert.equal(prop(gen(yaml, { descriptions: "none" }), "image.tag").description, undefined);
});

Deno.test("an annotation that rejects its key's own default is an error at the annotation", () => {
  assert.throws(
    () => gen("enabled: false # @schema type: string\n"),
    /values\.yaml:1:26: @schema type rejects this key's own default false, which is a boolean/,
  );
  assert.throws(
    () => gen("mode: fast # @schema enum: [slow]\n"),
    /@schema enum rejects this key's own default "fast"/,
  );
  assert.throws(() => gen("n: 3 # @schema minimum: 5\n"), /@schema minimum rejects .* 3, which is below it/);
  assert.throws(() => gen("tag: v1 # @schema pattern: ^[0-9]+$\n"), /@schema pattern rejects .* "v1"/);
  assert.throws(() => gen("m: {a: 1} # @schema enum: [{a: 2}]\n"), /@schema enum rejects/);
  // Equal objects in another key order, and null defaults (which stay allowed), are fine.
  assert.deepEqual(prop(gen("m: {a: 1, b: 2} # @schema enum: [{b: 2, a: 1}]\n"), "m").enum, [{ b: 2, a: 1 }]);
  assert.deepEqual(prop(gen("ns: null # @schema enum: [a, b]\n"), "ns").enum, ["a", "b", null]);
  assert.deepEqual(prop(gen("ns: # @schema const: a\n"), "ns").enum, ["a", null]);
});

Deno.test("draft 7 with schemaRoot.ref: only $ref moves into allOf, so pointers into the schema still resolve", () => {
  const s = gen("image:\n  tag: x\nother: # @schema $ref: '#/properties/image'\n  tag: y2\n", {
    draft: "7",
    schemaRoot: { ref: "https://e.com/s.json" },
  });
  assert.deepEqual(s.allOf, [{ $ref: "https://e.com/s.json" }]);
  assert.deepEqual(Object.keys(s.properties as object), ["image", "other"]);
  assert.deepEqual(prop(s, "other").allOf, [{ $ref: "#/properties/image" }]);
});
