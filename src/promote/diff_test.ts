import assert from "node:assert/strict";
import { diffManifests } from "./diff.ts";
import { leafPaths, pickPromoted } from "./values.ts";

const secret = (value: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: ${value}\n`;
const cm = (v: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: prod\ndata:\n  a: "${v}"\n`;

Deno.test("diff: per resource, added/changed/removed, Secret values redacted but their change shown", async () => {
  const d = await diffManifests(
    `${secret("c2VjcmV0MQ==")}---\n${cm("1")}`,
    `${secret("c2VjcmV0Mg==")}---\n# Source: x\n${
      cm("1")
    }---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n`,
  );
  assert.deepEqual(d.changes.map((c) => [c.resource, c.change]), [["Secret/creds", "changed"], [
    "Service/svc",
    "added",
  ]]);
  assert.equal(d.unchanged, 1);
  const patch = d.changes[0].patch;
  assert.ok(!patch.includes("c2VjcmV0") && !patch.includes("secret1"), patch);
  assert.match(
    patch,
    /- {2}password: <redacted sha256:[0-9a-f]{12}>\n\+ {2}password: <redacted sha256:[0-9a-f]{12}>/,
  );
  const shown = await diffManifests(secret("b2xk"), secret("bmV3"), true);
  assert.match(shown.changes[0].patch, /\+ {2}password: bmV3/);
  assert.deepEqual((await diffManifests(cm("1"), "")).changes.map((c) => c.change), ["removed"]);
});

Deno.test("promoted keys: patterns with * pick image tags at the top and in sub-charts, nothing else", () => {
  const values = {
    image: { repository: "r", tag: "2.0" },
    ioc: { image: { tag: "3.0", repository: "x" }, replicas: 2 },
    env: [{ name: "A" }],
  };
  const picked = pickPromoted(values, ["image.tag", "*.image.tag"]);
  assert.deepEqual(picked, { image: { tag: "2.0" }, ioc: { image: { tag: "3.0" } } });
  assert.deepEqual(leafPaths(picked), ["image.tag", "ioc.image.tag"]);
  assert.deepEqual(pickPromoted(values, ["podAnnotations"]), {});
  assert.deepEqual(pickPromoted({ podAnnotations: { a: "b" } }, ["podAnnotations"]), {
    podAnnotations: { a: "b" },
  });
});
