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

Deno.test("groups: a service whose release name Helm would refuse (over 53 characters, or not its rule) is an error at the service's file:line:column", async () => {
  const long = "a".repeat(46); // prod-<46> is 51 characters, staging-<46> 54: over Helm's 53
  const details = await problems([
    ...ENVIRONMENTS,
    "  qa: {kubeContext: qa, release: '{service}-'}", // a pattern that ends every name with '-'
    "groups:",
    `  core: [db, ${long}]`,
    "  edge:",
    "    - gateway",
  ]);
  assert.deepEqual(
    details,
    [
      "fastcs.yaml:6:10: groups.core[0]: service db makes release names Helm refuses: db- in qa (Helm allows only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)",
      `fastcs.yaml:6:14: groups.core[1]: service ${long} makes release names Helm refuses: staging-${long} in staging (54 characters, Helm allows at most 53), ${long}- in qa (Helm allows only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`,
      "fastcs.yaml:8:7: groups.edge[0]: service gateway makes release names Helm refuses: gateway- in qa (Helm allows only lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)",
    ],
  );
});

Deno.test("groups: a release name of exactly 53 characters is Helm's limit and loads", async () => {
  const service = "b".repeat(45); // staging-<45> is 53 characters
  const config = await load([...ENVIRONMENTS, "groups:", `  core: [${service}]`]);
  assert.deepEqual(config.groups.get("core"), [service]);
});
