// Values files that Helm refuses are refused by `helm fastcs schema` too, at once and located (exit 5, no
// internal error, no hang), and values Helm reads in YAML 1.1 ways (explicit tags) are typed as Helm reads
// them, so the generated schema accepts the chart's own values. Helm 4 is the judge of what Helm refuses.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, run, tool } from "../helpers.ts";
import { type TempDir, tempRepo } from "../support/files.ts";

async function chart(values: Uint8Array | string): Promise<TempDir> {
  const root = await tempRepo({
    "charts/c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    "charts/c/templates/cm.yaml": "kind: ConfigMap\ndata: {{ toJson .Values | quote }}\n",
  }, "fastcs-hostile-");
  const path = join(root.path, "charts/c/values.yaml");
  if (typeof values === "string") await Deno.writeTextFile(path, values);
  else await Deno.writeFile(path, values);
  return root;
}

function billionLaughs(): string {
  let text = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  const names = "abcdefghi";
  for (let i = 1; i < 9; i++) {
    text += `${names[i]}: &${names[i]} [${Array(9).fill("*" + names[i - 1]).join(", ")}]\n`;
  }
  return text;
}

const REFUSED: [string, Uint8Array | string, RegExp][] = [
  ["billion laughs", billionLaughs(), /values\.yaml:2:\d+: excessive aliasing/],
  [
    "invalid UTF-8",
    new Uint8Array([...new TextEncoder().encode("a: caf"), 0xe9, 0x0a]),
    /values\.yaml:1:7: the file is not valid UTF-8/,
  ],
  ["a NUL byte", "a: x\nb: y\u0000z\n", /values\.yaml:2:5: the character U\+0000 is not allowed/],
  ["an alias to no anchor", "a: *nope\n", /values\.yaml:1:4: alias \*nope refers to no anchor/],
  [
    "a merge key with a number",
    "a:\n  <<: 80\n  b: 1\n",
    /values\.yaml:2:7: a merge key \(<<\) needs a mapping/,
  ],
  ["a null key", "~: 9\n", /values\.yaml:1:1: a null key is not allowed/],
  ["an infinite number", "a: .inf\n", /values\.yaml:1:4: \.inf is not a number Helm can use/],
  ["a lone surrogate", 'a: "\\ud800"\n', /values\.yaml:1:4: a lone UTF-16 surrogate/],
  ["a %YAML 1.2 directive", "%YAML 1.2\n---\na: 1\n", /values\.yaml:1:1: %YAML 1\.2 is not supported/],
];

for (const [name, values, message] of REFUSED) {
  Deno.test(`refused like Helm refuses it: ${name}`, async () => {
    await using root = await chart(values);
    const started = performance.now();
    const r = await cli(["schema"], { cwd: root.path });
    assert.ok(performance.now() - started < 30_000, "answered at once, not after expanding anything");
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /please report|\n\s+at /);
    await assert.rejects(Deno.stat(join(root.path, "charts/c/values.schema.json")), Deno.errors.NotFound);
    const v = await cli(["schema", "validate", "charts/c/values.yaml", "--schema", "/dev/null"], {
      cwd: root.path,
    });
    assert.equal(v.code, 5, `validate reads values the same way: ${v.stderr}`);
    const helm = await run(tool("helm4"), ["template", "x", join(root.path, "charts/c")]);
    assert.notEqual(helm.code, 0, `Helm refuses ${name} too`);
  });
}

Deno.test("nesting too deep to read is said plainly (exit 5)", async () => {
  let deep = "";
  for (let i = 0; i < 3000; i++) deep += " ".repeat(i) + "k:\n";
  await using root = await chart(deep + " ".repeat(3000) + "v\n");
  const r = await cli(["schema"], { cwd: root.path });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /the YAML nests too deeply/);
  assert.doesNotMatch(r.stderr, /malformed|please report/);
});

Deno.test("YAML 1.1 scalars as Helm reads them (!!float 1, !!binary, 10:30, .); helm lint passes", async () => {
  await using root = await chart(
    'a: !!float 1\nb: !!binary aGVsbG8=\nc: !!str 1\nd: !!int "7"\n' +
      // go-yaml v2 has no sexagesimal numbers and needs a digit in a float: these are strings for Helm.
      "schedule: 10:30\ndot: .\nbig: 1_000\nexp: 1.5e3\nmode: 0o17\n" +
      // A merge of an inline mapping, a trailing document marker (both as Helm reads them).
      "<<: {merged: 1}\n---\n",
  );
  const r = await cli(["schema"], { cwd: root.path });
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(await Deno.readTextFile(join(root.path, "charts/c/values.schema.json")));
  assert.deepEqual(
    Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, (v as { type: string }).type])),
    {
      a: "number",
      b: "string",
      c: "string",
      d: "integer",
      schedule: "string",
      dot: "string",
      big: "integer",
      exp: "number",
      mode: "integer",
      merged: "integer",
    },
  );
  for (const helm of ["helm3", "helm4"] as const) {
    const lint = await run(tool(helm), ["lint", join(root.path, "charts/c")]);
    assert.equal(lint.code, 0, `${helm}: ${lint.stdout}${lint.stderr}`);
  }
});
