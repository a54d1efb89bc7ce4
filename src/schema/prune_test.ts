import assert from "node:assert/strict";
import { pruneBundle } from "./prune.ts";

Deno.test("pruning keeps the definitions reached from the values schema, transitively, in every layout", () => {
  const base = "https://k8s.example/v1.33.1/";
  const bundled = {
    properties: {
      a: { $ref: `${base}affinity-v1.json` },
      p: { $ref: "#/$defs/local/$defs/used" },
    },
    $defs: {
      "affinity-v1": {
        $id: `${base}affinity-v1.json`,
        properties: { n: { $ref: "_definitions.json#/definitions/NodeAffinity" } },
      },
      _definitions: {
        $id: `${base}_definitions.json`,
        definitions: {
          NodeAffinity: { properties: { s: { $ref: "#/definitions/Selector" } } },
          Selector: { type: "object", enum: [{ $ref: "#/definitions/Unused" }] },
          Unused: { type: "string" },
        },
      },
      local: {
        $comment: "bundled from local.json",
        $defs: {
          used: { $ref: "#/$defs/local/$defs/also" }, // rewritten to the root's pointers, as bundling does
          also: { type: "integer" },
          unused: { type: "string" },
        },
      },
    },
  };
  const out = pruneBundle(structuredClone(bundled), "$defs") as typeof bundled;
  assert.deepEqual(Object.keys(out.$defs._definitions.definitions), ["NodeAffinity", "Selector"]);
  assert.deepEqual(Object.keys(out.$defs.local.$defs), ["used", "also"]);
  assert.deepEqual(out.$defs["affinity-v1"], bundled.$defs["affinity-v1"]);
});
