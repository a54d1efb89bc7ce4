import assert from "node:assert/strict";
import { serviceSchema } from "./service.ts";
import { errorsOf, gen } from "./test_support.ts";

const chart = gen("image:\n  tag: x # @schema pattern: ^[a-z0-9.]+$\nlocal:\n  port: 1\neditable: false\n", {
  noAdditionalProperties: true,
});
// A chart schema with an internal $ref (as bundling writes them), which must still resolve once embedded.
(chart as Record<string, unknown>).$defs = { port: { type: "object" } };
(chart.properties as Record<string, Record<string, unknown>>).local.$ref = "#/$defs/port";

Deno.test("a service schema accepts real service values, global included", () => {
  const s = serviceSchema("fastcs", chart, ["ioc"], "2020-12");
  assert.equal(errorsOf(s, { fastcs: { image: { tag: "1.0" }, editable: true } }), 0);
  assert.equal(errorsOf(s, { global: { env: "prod" }, fastcs: { global: { env: "prod" } } }), 0);
  assert.equal(errorsOf(s, { ioc: { editable: true } }), 0, "the alias key validates like the chart key");
  assert.equal(errorsOf(s, {}), 0);
});

Deno.test("a service schema rejects typos inside the block and unknown top-level keys", () => {
  const s = serviceSchema("fastcs", chart, [], "2020-12");
  assert.ok(errorsOf(s, { fastcs: { editabel: true } }) > 0);
  assert.ok(errorsOf(s, { fastcs: { image: { tag: "UPPER" } } }) > 0);
  assert.ok(errorsOf(s, { fastsc: {} }) > 0);
});

Deno.test("the embedded chart schema loses $schema and its internal refs are rebased", () => {
  const s = serviceSchema("fastcs", chart, [], "2020-12") as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  const embedded = s.$defs["fastcs-values"];
  assert.equal(embedded.$schema, undefined);
  const local = (embedded.properties as Record<string, Record<string, unknown>>).local;
  assert.equal(local.$ref, "#/$defs/fastcs-values/$defs/port");
  const draft7 = serviceSchema("fastcs", chart, [], "7") as Record<string, unknown>;
  assert.ok("definitions" in draft7 && !("$defs" in draft7));
});
