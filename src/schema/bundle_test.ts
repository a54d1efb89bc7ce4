import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleRefs } from "./bundle.ts";
import { createRefFetcher } from "./ref_fetch.ts";
import { errorsOf } from "./test_support.ts";

/** A real HTTP server on 127.0.0.1 serving schema documents, counting requests. */
function serveSchemas(docs: Record<string, unknown>) {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    return path in docs ? Response.json(docs[path]) : new Response("no", { status: 404 });
  });
  return { base: `http://127.0.0.1:${server.addr.port}`, hits, close: () => server.shutdown() };
}

const docs = {
  "/defs.json": {
    definitions: { quantity: { type: "string", pattern: "^[0-9]+[GM]i$" }, probe: { $ref: "probe.json" } },
  },
  "/probe.json": { type: "object", properties: { periodSeconds: { type: "integer" } } },
};

Deno.test("remote $refs are embedded with their $id and the schema validates offline", async () => {
  const srv = serveSchemas(docs);
  try {
    const cacheDir = await Deno.makeTempDir();
    const schema = {
      type: "object",
      properties: {
        mem: { $ref: `${srv.base}/defs.json#/definitions/quantity` },
        p: { $ref: `${srv.base}/defs.json#/definitions/probe` },
      },
    };
    const bundled = await bundleRefs(schema, {
      draft: "2020-12",
      baseDir: "/tmp",
      bundleRoot: "/tmp",
      withoutId: false,
      display: (p) => p,
      fetchRef: createRefFetcher({ cacheDir, attempts: 1 }),
    });
    const defs = bundled.$defs as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(defs), ["defs", "probe"]);
    assert.equal(defs.defs.$id, `${srv.base}/defs.json`);
    assert.equal(errorsOf(bundled, { mem: "1Gi", p: { periodSeconds: 3 } }), 0);
    assert.equal(errorsOf(bundled, { mem: "lots", p: { periodSeconds: "x" } }), 2);
    assert.deepEqual(srv.hits, ["/defs.json", "/probe.json"]);
  } finally {
    await srv.close();
  }
});

Deno.test("withoutId rewrites every $ref to a local pointer; the previous output is reused without network", async () => {
  const srv = serveSchemas(docs);
  const cacheDir = await Deno.makeTempDir();
  const schema = { type: "object", properties: { p: { $ref: `${srv.base}/defs.json#/definitions/probe` } } };
  const options = {
    draft: "2020-12" as const,
    baseDir: "/tmp",
    bundleRoot: "/tmp",
    withoutId: true,
    display: (p: string) => p,
    fetchRef: createRefFetcher({ cacheDir, attempts: 1 }),
  };
  const first = await bundleRefs(schema, options);
  await srv.close();
  assert.equal(
    (first.properties as Record<string, Record<string, unknown>>).p.$ref,
    "#/$defs/defs/definitions/probe",
  );
  assert.equal(errorsOf(first, { p: { periodSeconds: "x" } }), 1);
  // The server is gone and the cache emptied: a rerun must take the documents from the previous output.
  await Deno.remove(cacheDir, { recursive: true });
  const again = await bundleRefs(schema, { ...options, previous: first });
  assert.deepEqual(again, first);
});

Deno.test("local file refs are embedded by pointer; files outside the bundle root are refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "port.yaml"), "type: integer\nminimum: 1\n");
  const opts = {
    draft: "2020-12" as const,
    baseDir: dir,
    bundleRoot: dir,
    withoutId: false,
    display: (p: string) => p,
    fetchRef: () => Promise.reject(new Error("no network")),
  };
  const bundled = await bundleRefs({ properties: { port: { $ref: "port.yaml" } } }, opts);
  assert.equal((bundled.properties as Record<string, Record<string, unknown>>).port.$ref, "#/$defs/port");
  assert.equal(errorsOf(bundled, { port: 0 }), 1);
  await assert.rejects(
    bundleRefs({ properties: { x: { $ref: "../elsewhere.json" } } }, opts),
    /outside the bundle root/,
  );
});

Deno.test("an unreachable URL fails after bounded retries with a clear error", async () => {
  const srv = serveSchemas({});
  try {
    const fetchRef = createRefFetcher({ cacheDir: await Deno.makeTempDir(), attempts: 2 });
    await assert.rejects(
      fetchRef(`${srv.base}/missing.json`),
      /cannot fetch \$ref .*missing\.json: HTTP 404/,
    );
    assert.equal(srv.hits.length, 1, "a 404 is not retried");
  } finally {
    await srv.close();
  }
  await assert.rejects(
    createRefFetcher({ cacheDir: await Deno.makeTempDir(), attempts: 2 })(srv.base + "/x.json"),
    /cannot fetch/,
  );
});
