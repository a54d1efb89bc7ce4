// The set-up scripts write a tool cache that several runs share (two CI jobs on one machine, a test run
// beside a benchmark): run for real (bash, Go and its module cache, as scripts/test.sh needs anyway) into a
// fresh cache folder of the test's own, at the same time.
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, run } from "../helpers.ts";

/** The entries of a folder, sorted. */
function entries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("two set-ups started at once into one empty cache: one builds, the other waits, both succeed, nothing temporary is left", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-tools-" });
  try {
    const env = { HELM_FASTCS_TOOLS: root };
    const [a, b] = await Promise.all([
      run("bash", [join(REPO, "scripts/setup-lint.sh")], { env }),
      run("bash", [join(REPO, "scripts/setup-lint.sh")], { env }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.stdout, b.stdout);
    const dir = a.stdout.trim();
    assert.ok(dir.startsWith(root + "/actionlint-"), dir);
    // One run built; the other found the cache locked, waited, and then found the tool in place.
    const logs = [a.stderr, b.stderr];
    assert.equal(logs.filter((l) => l.includes("building actionlint")).length, 1, logs.join("\n---\n"));
    assert.equal(logs.filter((l) => l.includes("waiting for it")).length, 1, logs.join("\n---\n"));
    assert.deepEqual(entries(dir), ["actionlint"]);
    const version = await run(join(dir, "actionlint"), ["-version"]);
    assert.equal(version.code, 0, version.stderr);
    // Only the lock and the tool's folder: no build folder of either run.
    assert.deepEqual(entries(root), [".setup.lock", dir.slice(root.length + 1)]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a Go build that fails leaves no temporary folder in the cache and says what failed", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-tools-" });
  try {
    // A module path that cannot exist: the proxy answers 404 (or, offline, Go fails to fetch it).
    const driver = `set -euo pipefail
tools_script=test-setup
. "${REPO}/scripts/setup-common.sh"
tools_lock setup
tools_go_install "$tools_root/x" "-s -w" "example.invalid/no/such/module/cmd/x@v0.0.1"`;
    const result = await run("bash", ["-c", driver], { env: { HELM_FASTCS_TOOLS: root } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /test-setup: error: building example\.invalid\/no\/such\/module\/cmd\/x@v0\.0\.1 failed/,
    );
    assert.deepEqual(entries(root), [".setup.lock"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
