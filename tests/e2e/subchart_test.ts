// A chart's generated schema must never break a parent that uses it as a sub-chart. Helm validates each
// sub-chart's values (the parent's block under the sub-chart's name or alias, coalesced with the
// sub-chart's defaults, plus the parent's `global` copied in) against the sub-chart's own schema. An
// umbrella chart in the style of diracx (several sub-charts, one aliased, conditions, shared globals; the
// fixture chart tests/testdata/charts/umbrella) is rendered by the real Helm 3 and Helm 4 with schemas we
// generated, closed objects included; values imported into the parent's root with import-values pass its
// closed schema.
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, run, tool } from "../helpers.ts";
import { copyFixtureChart, type TempDir, tempRepo } from "../support/files.ts";

/** The umbrella fixture chart in a new repository, with the schemas we generate for it and its sub-charts. */
async function umbrella(): Promise<TempDir> {
  // Closed objects everywhere, as a maintainer who wants typos caught would generate them.
  const repo = await tempRepo({ ".schema.yaml": "noAdditionalProperties: true\n" }, "fastcs-umbrella-");
  await copyFixtureChart("umbrella", join(repo.path, "umbrella"));
  for (const dir of ["umbrella/charts", "umbrella"]) {
    const g = await cli(["schema", "--charts-dir", dir, "--no-schemas"], { cwd: repo.path });
    assert.equal(g.code, 0, g.stderr);
  }
  return repo;
}

for (const name of ["helm3", "helm4"] as const) {
  Deno.test(`${name}: closed sub-chart schemas accept what a parent sets (alias, condition, global)`, async () => {
    await using repo = await umbrella();
    const chart = join(repo.path, "umbrella");
    const schema = JSON.parse(await Deno.readTextFile(join(chart, "charts/mysql/values.schema.json")));
    assert.equal(schema.additionalProperties, false, "the sub-chart's schema is closed");
    const ok = await run(tool(name), ["template", "r", chart]);
    assert.equal(ok.code, 0, ok.stderr);
    // Every sub-chart was validated: a typo under each key is refused by Helm, by the sub-chart's schema
    // (Helm names a sub-chart by its alias).
    for (const [set, sub] of [["mysql.auht.x=1", "mysql"], ["mq.replicaCont=2", "mq"]]) {
      const typo = await run(tool(name), ["template", "r", chart, "--set", set]);
      assert.notEqual(typo.code, 0, `${set} should fail`);
      assert.match(typo.stderr, new RegExp(sub), typo.stderr);
    }
    // The parent's own keys are still closed.
    const own = await run(tool(name), ["template", "r", chart, "--set", "developr.enabled=true"]);
    assert.notEqual(own.code, 0);
    assert.match(own.stderr, /developr/);
    // A wrong type where the sub-chart's default is a number is still caught.
    const wrong = await run(tool(name), ["template", "r", chart, "--set-string", "mq.replicaCount=three"]);
    assert.notEqual(wrong.code, 0);
    // A parent's null deletes a sub-chart default; values set where the default was null pass.
    const nulls = await run(tool(name), [
      "template",
      "r",
      chart,
      "--set",
      "mysql.primary.persistence.storageClass=ssd,mysql.auth.existingSecret=null,global.newKey.deep=1",
    ]);
    assert.equal(nulls.code, 0, nulls.stderr);
  });
}

Deno.test("schema validate checks each enabled sub-chart like Helm: folders and .tgz, alias, condition, global", async () => {
  await using repo = await umbrella();
  const chart = join(repo.path, "umbrella");
  // One sub-chart as `helm dependency build` leaves it: a package, not a folder.
  const pack = await run(tool("helm4"), [
    "package",
    join(chart, "charts/rabbitmq"),
    "-d",
    join(chart, "charts"),
  ]);
  assert.equal(pack.code, 0, pack.stderr);
  await Deno.remove(join(chart, "charts/rabbitmq"), { recursive: true });
  const override = join(repo.path, "override.yaml");
  const check = async (text: string) => {
    await Deno.writeTextFile(override, text);
    const ours = await cli([
      "schema",
      "validate",
      "-f",
      "umbrella/values.yaml",
      "-f",
      "override.yaml",
      "--schema",
      "umbrella/values.schema.json",
    ], { cwd: repo.path });
    const helm = await run(tool("helm4"), ["template", "r", chart, "-f", override]);
    return { ours, helm };
  };
  const ok = await check("mq:\n  replicaCount: 5\n");
  assert.equal(ok.helm.code, 0, ok.helm.stderr);
  assert.equal(ok.ours.code, 0, ok.ours.stdout + ok.ours.stderr);
  const typos = await check("mysql:\n  auht: {}\nmq:\n  replicaCont: 2\nopensearch:\n  replicsa: 2\n");
  assert.notEqual(typos.helm.code, 0);
  assert.equal(typos.ours.code, 4, typos.ours.stderr);
  const lines = typos.ours.stdout.trim().split("\n");
  assert.ok(
    lines.some((l) =>
      /^override\.yaml:2:3: mysql: unknown key "auht" .*\(sub-chart mysql: umbrella\/charts\/mysql\/values\.schema\.json\)/
        .test(l)
    ),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) =>
      /^override\.yaml:4:3: mq: unknown key "replicaCont" .*\(sub-chart mq: umbrella\/charts\/rabbitmq-1\.0\.0\.tgz:rabbitmq\/values\.schema\.json\)/
        .test(l)
    ),
    lines.join("\n"),
  );
  // opensearch is switched off by its condition: Helm does not validate it, and neither do we.
  assert.ok(!lines.some((l) => l.includes("replicsa")), lines.join("\n"));
  // A wrong type in a parent's global, checked by a sub-chart's schema... globals are open: both accept.
  const globals = await check("global:\n  storageClass: {a: 1}\n");
  assert.equal(globals.helm.code === 0, globals.ours.code === 0, globals.helm.stderr + globals.ours.stdout);
});
