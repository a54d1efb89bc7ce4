// The project file's `groups:` section: services in promotion order, and every mistake reported at its
// file:line:column (exit 5) like the rest of the file.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FastcsError } from "../runtime/errors.ts";
import { group, loadPromoteConfig } from "./config.ts";

const ENVIRONMENTS = [
  "environments:",
  "  staging: {kubeContext: staging, release: 'staging-{service}'}",
  "  prod: {kubeContext: prod, release: 'prod-{service}'}",
];

/** Loads `lines` as fastcs.yaml from a temporary folder; the display name is the bare file name. */
async function load(lines: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "fastcs-config-test-" });
  try {
    const file = join(dir, "fastcs.yaml");
    await Deno.writeTextFile(file, [...lines, ""].join("\n"));
    return await loadPromoteConfig(file, () => "fastcs.yaml");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The details (one line per problem) of the error loading `lines` raises. */
async function problems(lines: string[]): Promise<string[]> {
  const error = await load(lines).then(() => undefined, (e) => e);
  assert.ok(error instanceof FastcsError, `expected a FastcsError, got ${error}`);
  assert.equal(error.exitCode, 5);
  assert.equal(error.message, "fastcs.yaml: invalid promotion project file");
  return error.details;
}

Deno.test("groups: each group's services in the file's order; no groups section is no groups", async () => {
  const config = await load([
    ...ENVIRONMENTS,
    "groups:",
    "  core: [db, api, worker]",
    "  edge:",
    "    - gateway",
    "    - ioc.v2",
  ]);
  assert.deepEqual([...config.groups.entries()], [
    ["core", ["db", "api", "worker"]],
    ["edge", ["gateway", "ioc.v2"]],
  ]);
  assert.deepEqual(group(config, "core", (p) => p), ["db", "api", "worker"]);
  assert.equal((await load(ENVIRONMENTS)).groups.size, 0);
});

Deno.test("groups: an unknown group names those defined, or says there are none (exit 5)", async () => {
  const config = await load([...ENVIRONMENTS, "groups: {core: [db], edge: [gateway]}"]);
  assert.throws(
    () => group(config, "cor", () => "fastcs.yaml"),
    (e: FastcsError) =>
      e.exitCode === 5 && e.code === "promote.group" &&
      e.message === 'unknown group "cor" (fastcs.yaml defines core, edge)' &&
      e.hint === "Give one of those to --group, or add cor under groups: in fastcs.yaml.",
  );
  const none = await load(ENVIRONMENTS);
  assert.throws(
    () => group(none, "core", () => "fastcs.yaml"),
    (e: FastcsError) =>
      e.message === 'unknown group "core" (fastcs.yaml defines no groups)' && /groups: \{core:/.test(e.hint!),
  );
});

Deno.test("groups: a duplicate service, an empty group, a bad name, a non-list are errors at file:line:column", async () => {
  const details = await problems([
    ...ENVIRONMENTS,
    "groups:",
    "  core: [db, api, db]",
    "  empty: []",
    "  Bad_Group: [db]",
    "  edge: gateway",
    "  odd: [Not_A_Service, 3]",
  ]);
  const at = (line: number, pattern: RegExp) =>
    assert.ok(
      details.some((d) => d.startsWith(`fastcs.yaml:${line}:`) && pattern.test(d)),
      `no problem at line ${line} matching ${pattern}:\n${details.join("\n")}`,
    );
  at(5, /groups\.core: .*duplicate items/);
  at(6, /groups\.empty: .*fewer than 1 items/);
  at(7, /Bad_Group/);
  at(8, /groups\.edge: must be of type array/);
  at(9, /groups\.odd\[0\]: must match pattern/);
  at(9, /groups\.odd\[1\]: must be of type string/);
});

Deno.test("a key given twice in the project file (a group, an environment) is refused at its second place", async () => {
  const error = await load([
    ...ENVIRONMENTS,
    "groups:",
    "  core: [db]",
    "  core: [api]",
  ]).then(() => undefined, (e) => e);
  assert.ok(error instanceof FastcsError, `expected a FastcsError, got ${error}`);
  assert.equal(error.exitCode, 5);
  assert.equal(
    error.message,
    "fastcs.yaml:6:3: malformed YAML: the key core is given twice in one mapping (first at line 5, column 3)",
  );
  assert.equal(error.hint, "Keep one of them: in this file a later key does not replace an earlier one.");
});
